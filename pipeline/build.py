"""The build: what to rebuild, in what order, in parallel; every file written atomically.

Each edition has a key: a hash of everything it depends on (the source and its metadata
file, the pipeline code and package data the edition's writer uses, the font, tool
versions, options).  An edition whose key matches the one recorded in output/.state/ is
up to date.  The parent imports pandoc's wrapper and WeasyPrint once, then forks one
process per text (one per core at a time by default); each builds all of its text's
editions from a single parse, under a memory limit, and the parent enforces the time limit.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .diagnostics import ERROR, Diagnostic, PipelineError, Report
from .metadata import load_sidecar

if TYPE_CHECKING:
    from .document import Document

PACKAGE = Path(__file__).resolve().parent
SOURCE_SUFFIXES = {".txt", ".md", ".markdown", ".docx", ".odt", ".html", ".htm", ".rst", ".epub"}
# What the Markdown edition, and what every format, depends on inside the package (globs
# relative to pipeline/) and among the installed tools; each format's own are in its record
# (pipeline.writers.base.Format).
DEPENDS = {
    "md": ["stages/*.py", "metadata.py", "diagnostics.py"],
    "common": ["document.py", "safety.py", "writers/__init__.py", "writers/base.py",
               "data/css/base.css"],
}
TOOLS = {"md": ["ftfy", "charset-normalizer", "py3langid"], "common": ["pypandoc-binary", "lxml"]}


@dataclass(frozen=True)
class Source:
    path: Path
    slug: str
    sidecar: Path
    root: Path          # the folder the source must stay inside (symlinks, ..)

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
    sources: list[Source] = []
    problems: list[Diagnostic] = []
    seen: dict[str, Path] = {}
    for f in files:
        slug = slugify(f.stem)
        if slug in seen:
            problems.append(Diagnostic(str(f), None, "E-SLUG", ERROR,
                                       f"maps to the same output name `{slug}` as {seen[slug]}; "
                                       "rename one of them"))
            continue
        seen[slug] = f
        sources.append(Source(f, slug, f.with_name(f.stem + ".yaml"),
                              f.parent if paths else source_dir))
    return sources, problems


# -- keys ---------------------------------------------------------------------------
def _files_digest(globs: Iterable[str], *files: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    for pattern in globs:
        for f in sorted(PACKAGE.glob(pattern)):
            h.update(f.relative_to(PACKAGE).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _tool_versions(names: Iterable[str]) -> str:
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
    import sys

    from .writers import formats

    md = _files_digest(DEPENDS["md"]) + _tool_versions(TOOLS["md"])
    common = md + _files_digest(DEPENDS["common"]) + _tool_versions(TOOLS["common"])
    keys = {"md": md}
    here = Path(__file__).resolve().parent
    for name, record in formats().items():
        module = Path(sys.modules[record.module].__file__ or "").resolve()
        # The format's own module: by its place in the package (PACKAGE), if it is in it.
        own = ([module.relative_to(here).as_posix()], ()) if module.is_relative_to(here) else ([], (module,))
        keys[name] = (common + _files_digest([*own[0], *record.depends], *own[1])
                      + _tool_versions(record.tools))
    return keys


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}


def edition_keys(source: Source, code: dict[str, str], options: dict) -> dict[str, str]:
    try:
        text = source.path.read_bytes()
    except OSError:         # gone or unreadable: the build reports it
        text = b"missing"
    h = hashlib.sha256(text)
    if source.sidecar.exists():
        text += source.sidecar.read_bytes()
        h.update(source.sidecar.read_bytes())
    # Images the text or its metadata names (its cover, its figures) are part of it too.
    folder = source.path.parent
    if b"." in text and folder.is_dir():
        near = [*folder.glob("*"), *folder.glob("*/*")]
        for image in sorted(p for p in near if p.suffix.lower() in IMAGE_SUFFIXES):
            if image.relative_to(folder).as_posix().encode() in text:
                h.update(image.read_bytes())
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


def _outputs(fmt: str, doc: Document) -> Iterator[tuple[str, Any]]:
    """(file name, data) for each output of an edition: bytes, a dict for a folder, or
    None when the writer has nothing for this document (an old output is then removed)."""
    from .writers import formats

    for output in formats()[fmt].outputs:
        yield output.path.format(slug=doc.slug), output.write(doc, None)


def _state_path(out_dir: Path, slug: str) -> Path:
    return out_dir / ".state" / f"{slug}.json"


def _read_state(out_dir: Path, slug: str) -> dict:
    try:
        return json.loads(_state_path(out_dir, slug).read_text())
    except (OSError, ValueError):
        return {}


def edition_path(out_dir: Path, slug: str, fmt: str) -> Path:
    """The file that shows an edition was built: the Markdown, or a format's first output."""
    from .writers import formats

    name = "{slug}.md" if fmt == "md" else formats()[fmt].outputs[0].path
    return out_dir / slug / name.format(slug=slug)


# -- one text ------------------------------------------------------------------------
def build_text(source: Source, formats: list[str], out_dir: Path, keys: dict[str, str],
               options: dict, step: Callable[[str], Any] = lambda what: None) -> TextResult:
    """Normalize, parse once, run each wanted writer; runs inside a worker process."""
    from . import cache
    from .safety import check_source
    from .stages import normalize_unchecked
    from .writers import formats as format_records
    from .writers import option_checks

    result = TextResult(source)
    report = Report(source.name)
    state = _read_state(out_dir, source.slug)
    store = cache.use(options.get("cache_dir"), options.get("cache_mb", cache.DEFAULT_MB),
                      code_keys() if options.get("cache_dir") else None)
    try:
        _limit_resources(options)
        started = time.perf_counter()
        raw = source.path.read_bytes()
        # The normalized Markdown and its diagnostics (the lossless check's among them), by
        # the source's bytes, its sidecar, options, images and the normalizer's code.
        normalized = cache.key("md", keys["md"], raw, source.name)
        hit = store.load(normalized)
        unchecked: Callable[[], list[Diagnostic]]
        if hit:
            markdown, items, found = hit
            report.items.extend(items)
            unchecked = found.copy
        else:
            check_source(source.path, raw, report, source.root)
            sidecar = load_sidecar(source.sidecar, option_checks()) | options.get("overrides", {})
            markdown, _, report, unchecked = normalize_unchecked(source.path, raw=raw,
                                                                 sidecar=sidecar, report=report)
            items = list(report.items)
        lost: list[Diagnostic] = []

        def check() -> list[Diagnostic]:
            lost.extend(unchecked())
            return lost
        md_path = edition_path(out_dir, source.slug, "md")
        data = markdown.encode("utf-8")
        write_atomic(md_path, data)
        result.editions.append(Edition("md", md_path, time.perf_counter() - started, len(data)))
        state["md"] = keys["md"]
        doc = parse_while_checking(markdown, check, slug=source.slug, source_name=source.name,
                                   base_dir=source.path.parent, report=report,
                                   source_text=raw.decode("utf-8", "replace"))
        if not hit:
            store.store(normalized, (markdown, items, lost))
        for fmt in formats:
            step(fmt)
            count_pages = format_records()[fmt].pages
            started = time.perf_counter()
            for name, data in _outputs(fmt, doc):
                path = out_dir / source.slug / name
                if data is None:
                    _remove(path)
                    continue
                if isinstance(data, dict):
                    write_tree_atomic(path, data)
                    size = sum(len(v) for v in data.values())
                else:
                    write_atomic(path, data)
                    size = len(data)
                pages = count_pages(data) if count_pages and isinstance(data, bytes) else None
                result.editions.append(Edition(fmt, path, time.perf_counter() - started, size, pages))
            state[fmt] = keys[fmt]
    except PipelineError as exc:
        result.failed = True
        # Writers and the parser speak of "<metadata>" or "<markdown>": name the source.
        report.items.extend(replace(d, path=source.name) if d.path.startswith("<") else d
                            for d in exc.diagnostics if d not in report.items)
    except MemoryError:     # allocate nothing here: the limits are lifted first, below
        result.failed = True
    except Exception as exc:  # a vanished file, a bug or a tool failure
        result.failed = True
        report.add(None, *_explain(exc, options), ERROR)
    finally:
        _lift_limits()
    if result.failed:
        if not report.has_errors:
            report.add(None, *_explain(MemoryError(), options), ERROR)
        _remove_editions(out_dir, source.slug)
        state = {}
    write_atomic(_state_path(out_dir, source.slug), json.dumps(state, indent=1).encode())
    result.diagnostics = report.items
    return result


def parse_while_checking(markdown: str, check: Callable[[], list[Diagnostic]], report: Report,
                         **kwargs: Any) -> Document:
    """The Document, parsed by pandoc while the lossless check runs in a thread (pandoc is
    a child process: the two use two cores); the check's diagnostics join ``report``."""
    from concurrent.futures import ThreadPoolExecutor

    from .document import Document

    with ThreadPoolExecutor(1) as pool:
        lost = pool.submit(check)
        doc = Document.from_markdown(markdown, report=report, **kwargs)
    report.items.extend(lost.result())
    return doc


def _limit_resources(options: dict) -> None:
    """Bound one text's memory (RLIMIT_DATA: the heap and private mappings, not the address
    space pandoc's runtime merely reserves).  Time is bounded by the parent, which kills."""
    import resource

    if options.get("memory_mb"):
        limit = int(options["memory_mb"]) * 2**20
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard == resource.RLIM_INFINITY or limit <= hard:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _lift_limits() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))


def _out_of_memory(exc: BaseException, options: dict) -> bool:
    """MemoryError, or what C extensions raise when an allocation fails under the limit
    (SystemError "error return without exception set", OSError ENOMEM)."""
    import errno

    if isinstance(exc, MemoryError):
        return True
    limited = bool(options.get("memory_mb"))
    return limited and (isinstance(exc, SystemError) or
                        (isinstance(exc, OSError) and exc.errno == errno.ENOMEM))


def _explain(exc: BaseException, options: dict) -> tuple[str, str]:
    if _out_of_memory(exc, options):
        return "E-MEMORY", (f"building needed more than {options.get('memory_mb')} MiB and was stopped; "
                            "raise the limit with --memory-limit")
    if isinstance(exc, FileNotFoundError):
        return "E-MISSING", f"the file disappeared during the build ({exc.filename}); build again"
    return "E-INTERNAL", f"{type(exc).__name__}: {exc} (a bug: please report it with this file)"


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _remove_editions(out_dir: Path, slug: str) -> None:
    """A text that failed leaves no stale or partial edition behind."""
    _remove(out_dir / slug)


# -- many texts ----------------------------------------------------------------------
@dataclass
class BuildOptions:
    formats: tuple[str, ...] = ()  # () means every format (pipeline.writers.formats)
    out_dir: Path = Path("output")
    source_dir: Path = Path("source")
    jobs: int = 0                 # 0: one worker per core
    force: bool = False
    overrides: dict = field(default_factory=dict)   # metadata set for this build (--set)
    timeout: int = 900            # seconds one text may take
    memory_mb: int = 6144         # address space one text's build may use
    cache_dir: Path | None = None  # the steps' cache (pipeline.cache); None: out_dir/.cache
    cache_mb: int = 2048          # its size bound


def plan(sources: list[Source], options: BuildOptions) -> list[tuple[Source, list[str], dict]]:
    from .writers import format_names

    code = code_keys()
    wanted = options.formats or format_names()
    work = []
    for s in sources:
        keys = edition_keys(s, code, {"overrides": options.overrides})
        state = _read_state(options.out_dir, s.slug)
        stale = [f for f in wanted
                 if options.force or state.get(f) != keys[f]
                 or not edition_path(options.out_dir, s.slug, f).exists()]
        md_stale = state.get("md") != keys["md"] or not edition_path(options.out_dir, s.slug, "md").exists()
        if stale or md_stale or options.force:
            work.append((s, stale, keys))
    return work


def _task_options(options: BuildOptions) -> dict:
    return {"overrides": dict(options.overrides), "memory_mb": options.memory_mb,
            "cache_dir": str(cache_dir(options)), "cache_mb": options.cache_mb}


def cache_dir(options: BuildOptions) -> Path:
    return options.cache_dir or options.out_dir / ".cache"


def clean_leftovers(out_dir: Path) -> None:
    """Remove temporary files an interrupted build left behind (they are never editions)."""
    import shutil

    if not out_dir.is_dir():
        return
    for p in list(out_dir.glob(".*.tmp")) + list(out_dir.glob("*/.*.tmp")) + \
            list(out_dir.glob("*/.*.old")):
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def prune(out_dir: Path, slugs: set[str]) -> list[str]:
    """Remove the editions of texts no longer in source/ (only folders the build made)."""
    import shutil

    gone = []
    for state in sorted((out_dir / ".state").glob("*.json")):
        if state.stem not in slugs:
            shutil.rmtree(out_dir / state.stem, ignore_errors=True)
            state.unlink()
            gone.append(state.stem)
    return gone


def run(sources: list[Source], options: BuildOptions, progress: Any = None) -> list[TextResult]:
    clean_leftovers(options.out_dir)
    work = plan(sources, options)
    # Largest first, so the long texts do not end up alone at the tail of the build.
    work.sort(key=lambda w: -_size(w[0].path))
    if not work:
        return []
    if progress:
        progress.start(len(work))
    preload({f for _, formats, _ in work for f in formats},
            warm=len(work) > (options.jobs or cores()))
    results = []
    try:
        step = (lambda source, what: progress.step(source.slug, what)) if progress else None
        for result in _run_forked(work, options, step):
            results.append(result)
            if progress:
                progress.done(result)
    finally:
        clean_leftovers(options.out_dir)
        from .cache import Cache

        Cache(cache_dir(options), options.cache_mb).prune()
    return results


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


WARM_UP = "---\ntitle: Warm-up\nlanguage: en\n---\n\nA *short* text.[^1]\n\n[^1]: A note.\n"


def cores() -> int:
    """The cores this process may run on (fewer than the machine's under taskset)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def preload(formats: Iterable[str], warm: bool = False) -> None:
    """Import the heavy modules and cut the fonts once, before forking the workers.

    With ``warm``, also run every writer once on a tiny document, so that the lazy imports
    and caches of WeasyPrint, Pango and fontconfig are ready in every forked worker.
    """
    from . import stages  # noqa: F401
    from .document import Document
    from .writers import formats as format_records

    records = [format_records()[fmt] for fmt in formats]
    for record in records:
        if record.warm:
            record.warm()
    if warm:
        doc = Document.from_markdown(WARM_UP, "warm-up")
        for record in records:
            for output in record.outputs:
                output.write(doc, None)


class Interrupted(BaseException):
    """The parent asked this worker to stop (SIGTERM): clean up and leave."""


def _worker(conn: Any, source: Source, formats: list[str], out_dir: Path, keys: dict[str, str],
            options: dict) -> None:
    def stop(signum: int, frame: Any) -> None:
        raise Interrupted()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent decides what Ctrl-C does
    _report_pages(conn)
    try:
        conn.send(build_text(source, formats, out_dir, keys, options,
                             step=lambda what: conn.send(("step", what))))
    except Interrupted:
        pass                # temporary files were removed on the way out
    conn.close()


def _report_pages(conn: Any) -> None:
    """Forward WeasyPrint's "page N laid out" progress to the parent, a few times a second."""
    import logging

    class Pages(logging.Handler):
        last = 0.0

        def emit(self, record: logging.LogRecord) -> None:
            now = time.monotonic()
            if now - self.last > 0.25 and "Page" in record.getMessage():
                self.last = now
                conn.send(("step", "pdf: " + record.getMessage().split(" - ")[-1].lower()))

    logger = logging.getLogger("weasyprint.progress")
    logger.addHandler(Pages())
    logger.setLevel(logging.INFO)


def _run_forked(work: list, options: BuildOptions,
                on_step: Callable[[Source, str], Any] | None = None) -> Iterator[TextResult]:
    """One forked process per text, at most `jobs` at a time.

    Forking from a parent that has already imported WeasyPrint and pandoc's wrapper means
    every text starts warm, yet is isolated: a text that exhausts its memory, crashes, or
    overruns its time limit (the parent kills it) takes nothing else down with it.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    from . import pool

    ctx = multiprocessing.get_context("fork")
    task_options = _task_options(options)
    pending = list(work)
    # pipe -> (process, source, start, whether it holds a slot of the pool)
    running: dict[Any, tuple[Any, Source, float, bool]] = {}
    conn: Any
    # One pool for texts and the PDF parts their processes fork (pipeline.pool), of no more
    # slots than cores: -j is an upper bound (-j 4 on two cores ran 9% slower than -j 2).
    pool.share(min(options.jobs or cores(), cores()))
    try:
        while pending or running:
            # A text holds a slot while it builds; with none running, one starts anyway (a
            # slot a killed process held is lost, and must not stall the build).
            while pending and ((held := pool.take()) or not running):
                source, formats, keys = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_worker, args=(send, source, formats, options.out_dir,
                                                         keys, task_options), daemon=True)
                proc.start()
                send.close()
                running[recv] = (proc, source, time.monotonic(), held)
            for conn in wait(list(running), timeout=0.5):
                proc, source, _, held = running[conn]
                try:
                    result = conn.recv()
                    if isinstance(result, tuple):       # progress from the worker
                        if on_step:
                            on_step(source, result[1])
                        continue
                except (EOFError, OSError):
                    proc.join()
                    result = _lost(source, options, "E-CRASH", f"the build process died "
                                   f"(exit status {proc.exitcode}); this is a bug, please report it")
                del running[conn]
                conn.close()
                proc.join()
                if held:
                    pool.give()
                yield result
            now = time.monotonic()
            for conn, (proc, source, started, held) in list(running.items()):
                if options.timeout and now - started > options.timeout:
                    proc.kill()
                    proc.join()
                    del running[conn]
                    if held:
                        pool.give()
                    conn.close()
                    yield _lost(source, options, "E-TIMEOUT", f"building took longer than "
                                f"{options.timeout} s and was stopped; raise the limit with "
                                "--timeout if the text is really that long")
    finally:
        pool.close()
        for proc, *_ in running.values():
            proc.terminate()
        for proc, *_ in running.values():
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _lost(source: Source, options: BuildOptions, code: str, message: str) -> TextResult:
    """The result of a text whose worker could not report: no edition survives."""
    _remove_editions(options.out_dir, source.slug)
    state = _state_path(options.out_dir, source.slug)
    if state.exists():
        state.unlink()
    return TextResult(source, [], [Diagnostic(source.name, None, code, ERROR, message)], failed=True)
