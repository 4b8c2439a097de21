"""The build: what to rebuild, in what order, in parallel; every file written atomically.

Each edition has a key: a hash of everything it depends on (the source and its metadata
file, the pipeline code and package data the edition's writer uses, the font, tool
versions, options).  An edition whose key matches the one recorded in output/.state/ is
up to date.  Work is spread over a pool of worker processes (one per core by default),
each of which imports pandoc's wrapper and WeasyPrint once and builds whole texts, so a
text is parsed once for all its editions.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import ERROR, Diagnostic, PipelineError, Report
from .metadata import load_sidecar

PACKAGE = Path(__file__).resolve().parent
SOURCE_SUFFIXES = {".txt", ".md", ".markdown", ".docx", ".odt", ".html", ".htm", ".rst", ".epub"}
EDITIONS = ("md", "html", "epub", "pdf")
# What each edition depends on inside the package (globs relative to pipeline/).
DEPENDS = {
    "md": ["stages/*.py", "metadata.py", "diagnostics.py"],
    "common": ["document.py", "writers/__init__.py", "writers/base.py", "data/css/base.css"],
    "html": ["writers/html.py", "data/css/web.css", "data/templates/html*"],
    "epub": ["writers/epub.py", "data/css/epub.css", "data/templates/epub*"],
    "pdf": ["writers/pdf.py", "fonts.py", "data/css/print.css", "data/templates/pdf*"],
}
TOOLS = {"md": ["ftfy", "charset-normalizer", "py3langid"], "common": ["pypandoc-binary", "lxml"],
         "html": ["Jinja2"], "epub": ["ebooklib"], "pdf": ["weasyprint", "fontpkg-literata"]}


@dataclass(frozen=True)
class Source:
    path: Path
    slug: str
    sidecar: Path

    @property
    def name(self) -> str:
        return str(self.path)


@dataclass
class Edition:
    fmt: str
    path: Path
    seconds: float
    size: int
    pages: int | None = None
    skipped: bool = False


@dataclass
class TextResult:
    source: Source
    editions: list[Edition] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: bool = False


def slugify(stem: str) -> str:
    text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "text"


def discover(paths: list[Path], source_dir: Path) -> tuple[list[Source], list[Diagnostic]]:
    """Sources to build: the given files, or every supported file in source_dir."""
    files = paths or sorted(p for p in source_dir.iterdir()
                            if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES
                            and not p.name.startswith("."))
    sources, problems, seen = [], [], {}
    for f in files:
        slug = slugify(f.stem)
        if slug in seen:
            problems.append(Diagnostic(str(f), None, "E-SLUG", ERROR,
                                       f"maps to the same output name `{slug}` as {seen[slug]}; "
                                       "rename one of them"))
            continue
        seen[slug] = f
        sources.append(Source(f, slug, f.with_name(f.stem + ".yaml")))
    return sources, problems


# -- keys ---------------------------------------------------------------------------
def _files_digest(globs: list[str]) -> str:
    h = hashlib.sha256()
    for pattern in globs:
        for f in sorted(PACKAGE.glob(pattern)):
            h.update(f.relative_to(PACKAGE).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _tool_versions(names: list[str]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for n in names:
        try:
            out.append(f"{n}={version(n)}")
        except PackageNotFoundError:
            out.append(f"{n}=?")
    return ",".join(out)


def code_keys() -> dict[str, str]:
    """Per edition, a hash of the package files and tools it depends on."""
    md = _files_digest(DEPENDS["md"]) + _tool_versions(TOOLS["md"])
    common = md + _files_digest(DEPENDS["common"]) + _tool_versions(TOOLS["common"])
    keys = {"md": md}
    for fmt in ("html", "epub", "pdf"):
        keys[fmt] = common + _files_digest(DEPENDS[fmt]) + _tool_versions(TOOLS[fmt])
    return keys


def edition_keys(source: Source, code: dict[str, str], options: dict) -> dict[str, str]:
    h = hashlib.sha256(source.path.read_bytes())
    if source.sidecar.exists():
        h.update(source.sidecar.read_bytes())
    base = h.hexdigest() + json.dumps(options, sort_keys=True)
    return {fmt: hashlib.sha256((base + code[fmt]).encode()).hexdigest() for fmt in code}


# -- files ---------------------------------------------------------------------------
def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_tree_atomic(path: Path, files: dict[str, bytes]) -> None:
    """Write a folder of files under a temporary name, then swap it into place."""
    import shutil

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, data in files.items():
        target = (tmp / rel).resolve()
        if tmp.resolve() not in target.parents:
            raise ValueError(f"refusing to write outside the edition folder: {rel}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _outputs(fmt: str, doc):
    """(file name, data) for each output of an edition: bytes, or a dict for a folder."""
    from .writers import writers_for

    for func, name in writers_for(fmt):
        data = func(doc, None)
        if data is not None:
            yield name.format(slug=doc.slug), data


def _state_path(out_dir: Path, slug: str) -> Path:
    return out_dir / ".state" / f"{slug}.json"


def _read_state(out_dir: Path, slug: str) -> dict:
    try:
        return json.loads(_state_path(out_dir, slug).read_text())
    except (OSError, ValueError):
        return {}


def edition_path(out_dir: Path, slug: str, fmt: str) -> Path:
    return out_dir / slug / f"{slug}.{fmt}"


# -- one text ------------------------------------------------------------------------
def build_text(source: Source, formats: list[str], out_dir: Path, keys: dict[str, str],
               options: dict) -> TextResult:
    """Normalize, parse once, run each wanted writer; runs inside a worker process."""
    from .document import Document
    from .stages import normalize
    result = TextResult(source)
    report = Report(source.name)
    state = _read_state(out_dir, source.slug)
    try:
        started = time.perf_counter()
        sidecar = load_sidecar(source.sidecar) | options.get("overrides", {})
        markdown, meta, report = normalize(source.path, sidecar=sidecar, report=report)
        md_path = edition_path(out_dir, source.slug, "md")
        data = markdown.encode("utf-8")
        write_atomic(md_path, data)
        result.editions.append(Edition("md", md_path, time.perf_counter() - started, len(data)))
        state["md"] = keys["md"]
        doc = Document.from_markdown(markdown, source.slug, source_name=source.path.name)
        for fmt in formats:
            started = time.perf_counter()
            for name, data in _outputs(fmt, doc):
                path = out_dir / source.slug / name
                if isinstance(data, dict):
                    write_tree_atomic(path, data)
                    size = sum(len(v) for v in data.values())
                else:
                    write_atomic(path, data)
                    size = len(data)
                pages = len(re.findall(rb"/Type\s*/Page\b", data)) if fmt == "pdf" else None
                result.editions.append(Edition(fmt, path, time.perf_counter() - started, size, pages))
            state[fmt] = keys[fmt]
    except PipelineError as exc:
        result.failed = True
        report.items.extend(d for d in exc.diagnostics if d not in report.items)
        _remove_editions(out_dir, source.slug)
        state = {}
    except Exception as exc:  # a bug or a tool failure: report it against the source
        result.failed = True
        report.add(None, "E-INTERNAL", f"{type(exc).__name__}: {exc}", ERROR)
        _remove_editions(out_dir, source.slug)
        state = {}
    write_atomic(_state_path(out_dir, source.slug), json.dumps(state, indent=1).encode())
    result.diagnostics = report.items
    return result


def _remove_editions(out_dir: Path, slug: str) -> None:
    """A text that failed leaves no stale or partial edition behind."""
    import shutil

    folder = out_dir / slug
    if folder.is_dir():
        shutil.rmtree(folder)


# -- many texts ----------------------------------------------------------------------
@dataclass
class BuildOptions:
    formats: tuple[str, ...] = ("html", "epub", "pdf")
    out_dir: Path = Path("output")
    source_dir: Path = Path("source")
    jobs: int = 0                 # 0: one worker per core
    force: bool = False
    strict: bool = False
    overrides: dict = field(default_factory=dict)   # metadata set for this build (--set)


def plan(sources: list[Source], options: BuildOptions) -> list[tuple[Source, list[str], dict]]:
    code = code_keys()
    work = []
    for s in sources:
        keys = edition_keys(s, code, {"overrides": options.overrides})
        state = _read_state(options.out_dir, s.slug)
        stale = [f for f in options.formats
                 if options.force or state.get(f) != keys[f]
                 or not edition_path(options.out_dir, s.slug, f).exists()]
        md_stale = state.get("md") != keys["md"] or not edition_path(options.out_dir, s.slug, "md").exists()
        if stale or md_stale or options.force:
            work.append((s, stale, keys))
    return work


def _task_options(options: BuildOptions) -> dict:
    return {"overrides": dict(options.overrides)}


def run(sources: list[Source], options: BuildOptions, progress=None) -> list[TextResult]:
    work = plan(sources, options)
    # Largest first, so the long texts do not end up alone at the tail of the build.
    work.sort(key=lambda w: -w[0].path.stat().st_size)
    jobs = options.jobs or os.cpu_count() or 1
    results = []
    if progress:
        progress.start(len(work))
    if jobs == 1 or len(work) <= 1:
        for s, formats, keys in work:
            results.append(build_text(s, formats, options.out_dir, keys, _task_options(options)))
            if progress:
                progress.done(results[-1])
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
            futures = [pool.submit(build_text, s, f, options.out_dir, k, _task_options(options))
                       for s, f, k in work]
            for fut in as_completed(futures):
                results.append(fut.result())
                if progress:
                    progress.done(results[-1])
    return results
