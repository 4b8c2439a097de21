"""Benchmarks: our three editions against pandoc and WeasyPrint on their own.

    .venv/bin/python -m pipeline.bench [--runs 3] [--big-runs 1] [--no-scaling | --scaling-only
                                       | --incremental-only] [--texts FILE…]
                                       [--only speech|catalog] [--novel NAME] [--catalog N]

For the speech, a mid-sized novel and War and Peace it measures, each in a fresh process:
  * our build through the CLI (all three editions, --force, cold start) — wall and CPU
    time, peak memory (os.wait4's rusage: the largest of the process and its children);
  * each stage on its own (imports, normalize, parse, html, epub, pdf split into our
    preparation, WeasyPrint's layout and its drawing), called directly in a child;
  * the plain tools on the same normalized Markdown: `pandoc -t epub3`,
    `pandoc -s -t html5` and `pandoc -s -t html5 | weasyprint - out.pdf`;
then War and Peace built clean, with one word changed and untouched (the cache at work),
then the whole corpus on one core and on two; with --catalog N, a catalog of N short texts
(each worker's peak memory as the catalog grows).  Medians of several runs; each table
goes between its markers in BENCHMARKS.md (the rest of that file is kept), so the texts
(--no-scaling) and the corpus (--scaling-only) can also be measured separately; raw figures
are kept in build/bench.json, so --texts can re-measure one text and keep the others.  These are
benchmarks, not tests: the exit status is 0 even when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SPEECH = ROOT / "source" / "international-day-of-solidarity-2023.txt"
NOVELS = ("tom-sawyer.txt", "the-time-machine.txt")
BIG = "war-and-peace.txt"
BIG_BYTES = 2_000_000            # texts this large get --big-runs runs
RESULTS = ROOT / "build" / "bench.json"   # raw measurements of the last runs, per text
MARKERS = {name: (f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->")
           for name in ("texts", "corpus", "incremental", "catalog")}
STAGES = ("import", "normalize", "parse", "html", "epub", "pdf-prep", "pdf-layout", "pdf-draw")
# Targets from issue 7 (the peak memory: issue 18).
PDF_RATIO, MEMORY_MB, SPEECH_SECONDS, OUTSIDE_SHARE, SCALING = 1.2, 500, 1.5, 0.10, 1.8
INCREMENTAL = 0.10        # issue 18: a one-word change rebuilds in this share of a clean build
CATALOG_TEXT_BYTES = 150_000     # --catalog N builds texts shorter than this


@dataclass
class Run:
    seconds: float       # wall
    cpu: float           # user + system, of the process and the children it waited for
    rss_mb: float


@dataclass
class TextBench:
    name: str
    chars: int
    ours: list[Run] = field(default_factory=list)             # CLI, three editions
    stages: list[dict] = field(default_factory=list)          # child: {stage: s, "rss": {..}}
    plain: dict[str, list[Run]] = field(default_factory=dict)  # epub, html, pdf
    pages: int | None = None
    measured: str = ""                                          # when, at which commit


# -- measuring ------------------------------------------------------------------------
class BenchError(RuntimeError):
    pass


def measure(cmd, cwd=ROOT, shell=False, stdout=subprocess.DEVNULL) -> tuple[Run, str]:
    """Run a fresh process; its wall time and the peak RSS of it and its waited children."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, shell=shell, stdout=stdout, stderr=err,
                                executable="/bin/bash" if shell else None)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        log = err.read().decode("utf-8", "replace")
    if proc.returncode:
        tail = "\n".join(log.strip().splitlines()[-5:])
        raise BenchError(f"{cmd if shell else ' '.join(map(str, cmd))} failed "
                         f"({proc.returncode}):\n{tail}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024), log


def build_cmd(sources, out_dir: Path, jobs: int = 1) -> list[str]:
    # No time limit: on a busy machine War and Peace can take longer than the default.
    return [sys.executable, "-m", "pipeline", "build", *map(str, sources), "-o", str(out_dir),
            "--force", "-j", str(jobs), "--timeout", "86400"]


def stages_child(path: Path) -> dict:
    """Run every stage of one text in this (fresh) process; seconds and peak RSS after each."""
    started = time.perf_counter()
    import weasyprint
    import weasyprint.document

    from .build import parse_while_checking, slugify
    from .metadata import load_sidecar
    from .stages import normalize_unchecked
    from .writers import writers_for

    out, cpu, rss = {}, {}, {}
    last_cpu = [0.0]

    def cpu_now():
        me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def mark(stage, t0):
        out[stage] = time.perf_counter() - t0
        now = cpu_now()
        cpu[stage], last_cpu[0] = now - last_cpu[0], now
        rss[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return time.perf_counter()

    t = mark("import", started)
    sidecar = load_sidecar(path.with_name(path.stem + ".yaml"))
    markdown, _, report, check = normalize_unchecked(path, sidecar=sidecar)
    t = mark("normalize", t)
    doc = parse_while_checking(markdown, check, report, slug=slugify(path.stem),
                               source_name=str(path), base_dir=path.parent)
    t = mark("parse", t)
    for fmt in ("html", "epub"):
        for func, _ in writers_for(fmt):
            func(doc, None)
        t = mark(fmt, t)
    # WeasyPrint's own work: HTML.render (parse, cascade, layout) and write_pdf (drawing).
    weasy = {"pdf-layout": [0.0, 0.0], "pdf-draw": [0.0, 0.0]}
    pages, peaks = [], {}

    def timed(owner, name, key):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                result = original(*args, **kwargs)
                if key == "pdf-layout":
                    pages.append(len(result.pages))
                return result
            finally:
                weasy[key][0] += time.perf_counter() - t0
                weasy[key][1] += time.process_time() - c0
                peaks[key] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        setattr(owner, name, wrapper)

    timed(weasyprint.HTML, "render", "pdf-layout")
    timed(weasyprint.document.Document, "write_pdf", "pdf-draw")
    # A long book is laid out and drawn in parts by forked children (writers/pdf_parts.py):
    # their whole run is WeasyPrint's work, timed by wall clock and by the children's CPU
    # (the parent's own front-matter layout within it is not counted twice).
    from .writers import pdf_parts

    run_parts = pdf_parts._run

    def parts_run(*args, **kwargs):
        t0, c0 = time.perf_counter(), cpu_now()
        before = {k: list(v) for k, v in weasy.items()}
        try:
            return run_parts(*args, **kwargs)
        finally:
            weasy.update(before)
            weasy["pdf-layout"][0] += time.perf_counter() - t0
            weasy["pdf-layout"][1] += cpu_now() - c0
            peaks["pdf-layout"] = peaks["pdf-draw"] = max(
                resource.getrusage(w).ru_maxrss / 1024
                for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    pdf_parts._run = parts_run
    for func, _ in writers_for("pdf"):
        data = func(doc, None)
    mark("pdf", t)
    from io import BytesIO

    from pypdf import PdfReader

    pages.append(len(PdfReader(BytesIO(data)).pages))
    for key, (wall, used) in weasy.items():
        out[key], cpu[key], rss[key] = wall, used, peaks.get(key, rss["pdf"])
    out["pdf-prep"] = out.pop("pdf") - out["pdf-layout"] - out["pdf-draw"]
    cpu["pdf-prep"] = cpu.pop("pdf") - cpu["pdf-layout"] - cpu["pdf-draw"]
    rss["pdf-prep"] = rss.pop("pdf")
    return {"seconds": out, "cpu": cpu, "rss": rss, "pages": max(pages, default=0)}


def bench_text(path: Path, runs: int, work: Path, log=print) -> TextBench:
    """Our build, our stages and the plain tools on one text, `runs` times each."""
    result = TextBench(path.stem, len(path.read_text("utf-8", "replace")),
                       measured=f"{time.strftime('%H:%M', time.gmtime())} @{commit()}")
    out = work / f"ours-{path.stem}"
    for i in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        run, _ = measure(build_cmd([path], out))
        result.ours.append(run)
        log(f"  {path.stem}: our build {i + 1}/{runs}: {_fmt(run)}")
    for i in range(runs):
        stages = _child(path)
        result.stages.append(stages)
        result.pages = stages["pages"]
        log(f"  {path.stem}: stages {i + 1}/{runs}: " +
            ", ".join(f"{k} {v:.2f}" for k, v in stages["seconds"].items()))
    markdown = next(out.rglob("*.md"))
    pandoc, weasy = _pandoc(), Path(sys.executable).with_name("weasyprint")
    plain = {
        "epub": [pandoc, "-f", "markdown", "-t", "epub3", "-o", str(work / "plain.epub"), str(markdown)],
        "html": [pandoc, "-f", "markdown", "-s", "-t", "html5", "-o", str(work / "plain.html"),
                 str(markdown)],
        "pdf": f"set -o pipefail; '{pandoc}' -f markdown -s -t html5 '{markdown}' | "
               f"'{weasy}' - '{work / 'plain.pdf'}'",
    }
    for fmt, cmd in plain.items():
        for i in range(runs):
            run, _ = measure(cmd, shell=isinstance(cmd, str))
            result.plain.setdefault(fmt, []).append(run)
            log(f"  {path.stem}: plain {fmt} {i + 1}/{runs}: {_fmt(run)}")
    return result


def _fmt(run: Run) -> str:
    return f"{run.seconds:.2f} s wall, {run.cpu:.2f} s cpu, {run.rss_mb:.0f} MB"


def _child(path: Path) -> dict:
    with tempfile.TemporaryFile() as out:
        run, _ = measure([sys.executable, "-m", "pipeline.bench", "--child-stages", str(path)],
                         stdout=out)
        out.seek(0)
        data = json.loads(out.read())
    data["wall"], data["cpu_total"] = run.seconds, run.cpu   # interpreter start included
    return data


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def scaling(sources: list[Path], work: Path, log=print) -> dict[int, Run]:
    """Whole-corpus build on one core and on two (fresh output folders).  One core is one
    CPU by affinity (taskset), not just one worker: a long book's PDF forks its parts over
    the cores it may use."""
    runs = {}
    for jobs in (1, 2):
        out = work / f"corpus-j{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        cpus = ["taskset", "-c", ",".join(map(str, sorted(os.sched_getaffinity(0))[:jobs]))]
        try:
            runs[jobs], _ = measure(cpus + build_cmd(sources, out, jobs))
        except BenchError as exc:     # a text failed: the ratio would compare unequal work
            log(f"  corpus -j {jobs}: {exc}")
            return {}
        log(f"  corpus -j {jobs}: {_fmt(runs[jobs])}")
    return runs


def change_one_word(path: Path) -> str:
    """Replace one word in the middle of the text (of its middle paragraph of 30 words or
    more) by another; returns the new word."""
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    i = len(paragraphs) // 2
    while len(paragraphs[i].split()) < 30:
        i += 1
    words = paragraphs[i].split(" ")
    j = len(words) // 2
    new = "zebra" if words[j] != "zebra" else "okapi"
    words[j] = new
    paragraphs[i] = " ".join(words)
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return new


def incremental(path: Path, work: Path, log=print) -> dict[str, Run]:
    """A clean build of one text (a fresh output folder, so an empty cache), then with one
    word changed, then untouched; each through the CLI on every core, a fresh process."""
    src, out = work / "incremental-source", work / "incremental-output"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    src.mkdir(parents=True)
    text = src / path.name
    shutil.copyfile(path, text)
    cmd = [sys.executable, "-m", "pipeline", "build", str(text), "-o", str(out),
           "--timeout", "86400"]
    runs = {}
    runs["clean"], _ = measure(cmd)
    log(f"  {path.stem} clean: {_fmt(runs['clean'])}")
    word = change_one_word(text)
    runs["changed"], _ = measure(cmd)
    log(f"  {path.stem} one word changed: {_fmt(runs['changed'])}")
    runs["untouched"], _ = measure(cmd)
    log(f"  {path.stem} untouched: {_fmt(runs['untouched'])}")
    pdf = out / slug_of(path) / f"{slug_of(path)}.pdf"
    shown = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    if word not in shown:
        raise BenchError(f"the rebuilt PDF does not show the changed word `{word}`")
    return runs


def slug_of(path: Path) -> str:
    from .build import slugify

    return slugify(path.stem)


def incremental_report(path: Path, runs: dict[str, Run], how: str, facts: list[str],
                       load: tuple[float, float]) -> str:
    lines = header("incremental", how, facts, load)
    lines += ["### One word changed (issue 18)", "",
              f"`python -m pipeline build {path.name} -o OUT` (all three editions, every core): a "
              "fresh output folder (clean: an empty cache), then one word in the middle of the "
              "text changed, then nothing changed.", "",
              "| build | wall | cpu | peak memory |", "|--|--:|--:|--:|"]
    lines += [f"| {name} | {r.seconds:.1f} s | {r.cpu:.1f} s | {r.rss_mb:.0f} MB |"
              for name, r in runs.items()]
    lines += ["", "### Target (issue 18)", ""] + verdicts(incremental_targets(path, runs))
    return "\n".join(lines + ["", MARKERS["incremental"][1]])


def incremental_targets(path: Path, runs: dict[str, Run]) -> list[tuple[str, bool, str]]:
    clean, changed = runs["clean"], runs["changed"]
    share = changed.seconds / clean.seconds
    return [(f"{path.stem}, one word changed: ≤ {INCREMENTAL:.0%} of a clean build",
             share <= INCREMENTAL, f"{changed.seconds:.1f} s / {clean.seconds:.1f} s = {share:.1%} "
             f"wall (cpu {changed.cpu:.1f} s / {clean.cpu:.1f} s = "
             f"{changed.cpu / clean.cpu:.1%}); untouched: {runs['untouched'].seconds:.1f} s")]


def catalog(count: int, work: Path, log=print) -> dict:
    """A catalog of ``count`` texts (the corpus's short texts again and again under new
    slugs) built at once on every core, in a fresh process: each text's worker's peak
    memory in the order the texts were built (flat, if nothing grows with the catalog),
    the build's own, and a rebuild with nothing to do (which writes index.html, opds.xml
    and SHA256SUMS from output/.catalog/, reading no edition)."""
    src, out = work / "catalog-source", work / "catalog-output"
    for folder in (src, out):
        shutil.rmtree(folder, ignore_errors=True)
    src.mkdir(parents=True)
    short = [p for p in corpus_sources() if p.stat().st_size < CATALOG_TEXT_BYTES]
    for i in range(count):
        shutil.copyfile(short[i % len(short)], src / f"{i:05d}-{short[i % len(short)].name}")
    peaks = work / "catalog-peaks"
    peaks.unlink(missing_ok=True)
    build_run, _ = measure([sys.executable, "-m", "pipeline.bench", "--child-catalog",
                            str(src), str(out), str(peaks)])
    noop, _ = measure([sys.executable, "-m", "pipeline", "build", "--source-dir", str(src),
                       "-o", str(out)])
    workers = [(slug.split("-", 1)[1], float(mb))
               for slug, mb in (line.split() for line in peaks.read_text().splitlines())]
    log(f"  catalog of {count}: {_fmt(build_run)}; nothing to do: {_fmt(noop)}")
    return {"count": count, "build": asdict(build_run), "noop": asdict(noop), "workers": workers}


def _catalog_child(src: Path, out: Path, peaks: Path) -> int:
    """Build a catalog, each worker appending its peak RSS (MB) to ``peaks`` as it ends."""
    from . import __main__ as cli, build

    text = build.build_text

    def measured(*args, **kwargs):
        try:
            return text(*args, **kwargs)
        finally:
            with open(peaks, "a") as f:
                f.write(f"{args[0].slug} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}\n")

    build.build_text = measured     # the workers are forked: they run this one
    return cli.main(["build", "--source-dir", str(src), "-o", str(out), "--timeout", "86400"])


def catalog_target(found: dict) -> tuple[str, bool, str]:
    """Flat: each text's last copy built within 10% of its first copy's peak (texts differ:
    a catalog built largest first shows one step per text, not growth)."""
    copies: dict[str, list[float]] = {}
    for name, mb in found["workers"]:
        copies.setdefault(name, []).append(mb)
    grown = {name: (mbs[0], mbs[-1]) for name, mbs in copies.items()}
    return ("Catalog: per-worker memory flat (each text's last copy within 10% of its first)",
            all(last <= 1.1 * first for first, last in grown.values()),
            "; ".join(f"{name}: {first:.0f} → {last:.0f} MB" for name, (first, last) in grown.items()))


def catalog_report(found: dict, how: str, facts: list[str], load: tuple[float, float]) -> str:
    workers = [mb for _, mb in found["workers"]]
    tenth = max(1, len(workers) // 10)
    lines = header("catalog", how, facts, load)
    lines += [f"### A catalog of {found['count']} texts", "",
              f"The corpus's texts under {CATALOG_TEXT_BYTES // 1000} kB again and again under "
              "new slugs, `python -m pipeline build --source-dir …` on every core (fresh output), "
              "then again with nothing to do (index.html, opds.xml and SHA256SUMS from "
              "output/.catalog/).", "",
              "| build | wall | cpu | peak memory (largest process) |", "|--|--:|--:|--:|",
              f"| all {found['count']} texts | {found['build']['seconds']:.1f} s | "
              f"{found['build']['cpu']:.1f} s | {found['build']['rss_mb']:.0f} MB |",
              f"| nothing to do | {found['noop']['seconds']:.1f} s | {found['noop']['cpu']:.1f} s | "
              f"{found['noop']['rss_mb']:.0f} MB |", "",
              "Each text's worker's peak memory, in the order they ended (MB):", "",
              "| texts | median | largest |", "|--|--:|--:|"]
    for start in range(0, len(workers), tenth):
        part = workers[start:start + tenth]
        lines.append(f"| {start + 1}–{start + len(part)} | {med(part):.0f} | {max(part):.0f} |")
    lines += ["", verdicts([catalog_target(found)])[0]]
    return "\n".join(lines + ["", MARKERS["catalog"][1]])


# -- reporting ------------------------------------------------------------------------
def med(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def stage_medians(t: TextBench, kind: str = "seconds") -> dict[str, float]:
    return {s: med(r[kind][s] for r in t.stages) for s in STAGES}


def outside_share(t: TextBench, kind: str = "seconds") -> float:
    """Share of the child's whole time (interpreter start included) outside WeasyPrint."""
    total = "wall" if kind == "seconds" else "cpu_total"
    return med(1 - (r[kind]["pdf-layout"] + r[kind]["pdf-draw"]) / r[total] for r in t.stages)


def targets(texts: list[TextBench], scale: dict[int, Run] | None) -> list[tuple[str, bool, str]]:
    """(target, met, figures); judged on wall time, CPU time shown beside it."""
    by = {t.name: t for t in texts}
    rows = []
    big = by.get(Path(BIG).stem)
    if big:
        ours, theirs = med(r.seconds for r in big.ours), med(r.seconds for r in big.plain["pdf"])
        c_ours, c_theirs = med(r.cpu for r in big.ours), med(r.cpu for r in big.plain["pdf"])
        rows.append((f"War and Peace: three editions ≤ {PDF_RATIO}× the plain tools' PDF",
                     ours <= PDF_RATIO * theirs,
                     f"{ours:.1f} s / {theirs:.1f} s = {ours / theirs:.2f}× wall "
                     f"(cpu {c_ours:.1f} s / {c_theirs:.1f} s = {c_ours / c_theirs:.2f}×)"))
        peak = max(r.rss_mb for r in big.ours)
        rows.append((f"War and Peace: peak memory ≤ {MEMORY_MB} MB", peak <= MEMORY_MB,
                     f"{peak:.0f} MB (largest of {len(big.ours)} run(s))"))
    speech = by.get(SPEECH.stem)
    if speech:
        wall, cpu = med(r.seconds for r in speech.ours), med(r.cpu for r in speech.ours)
        rows.append((f"Speech: three editions from a cold start < {SPEECH_SECONDS} s",
                     wall < SPEECH_SECONDS, f"{wall:.2f} s wall (cpu {cpu:.2f} s)"))
    for t in texts:
        if t is not speech:
            wall, cpu = outside_share(t), outside_share(t, "cpu")
            rows.append((f"{t.name}: time outside WeasyPrint's layout and drawing < {OUTSIDE_SHARE:.0%}",
                         wall < OUTSIDE_SHARE, f"{wall:.1%} of wall (cpu {cpu:.1%})"))
    if scale:
        one, two = scale[1].seconds, scale[2].seconds
        rows.append((f"Whole corpus: two cores ≥ {SCALING}× faster than one",
                     one / two >= SCALING, f"{one:.1f} s / {two:.1f} s = {one / two:.2f}×"))
    return rows


def machine() -> list[str]:
    from importlib.metadata import version

    info = Path("/proc/cpuinfo")
    cpu = next((line.split(":", 1)[1].strip() for line in info.read_text().splitlines()
                if line.startswith("model name")), "?") if info.exists() else platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pandoc = subprocess.run([_pandoc(), "--version"], capture_output=True, text=True).stdout
    return [f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}",
            f"Python {platform.python_version()}, {pandoc.split(chr(10))[0]}, WeasyPrint "
            f"{version('weasyprint')}, pydyf {version('pydyf')}, fontTools {version('fonttools')}, "
            f"lxml {version('lxml')}",
            f"pipeline at commit {commit()}"]


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "pipeline"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return head + ("+changes" if dirty else "")


def header(name: str, how: str, facts: list[str], load: tuple[float, float]) -> list[str]:
    cores = os.cpu_count() or 1
    lines = [MARKERS[name][0], "", f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
             f"by `.venv/bin/python -m pipeline.bench {how}`; a fresh process per run.", ""]
    lines += [f"- {f}" for f in facts]
    return lines + [f"- load average {load[0]:.1f} at the start, {load[1]:.1f} at the end, on {cores} "
                    "cores" + (" — **the machine was busy (other jobs): wall times are inflated and "
                               "the CPU times (user+system) are the steadier figures**"
                               if max(load) > cores * 0.75 else ""), ""]


def report(texts: list[TextBench], how: str, facts: list[str], load: tuple[float, float]) -> str:
    lines = header("texts", how, facts, load)
    lines += ["### Ours against the plain tools", "",
              "Ours: `python -m pipeline build TEXT --force -j 1` — PDF, EPUB and HTML (single "
              "page and per chapter), normalized and parsed once. Plain: pandoc and WeasyPrint "
              "run on our normalized Markdown (`-f markdown`); their PDF is pandoc's default "
              "standalone HTML laid out by WeasyPrint's defaults. Seconds wall (cpu).", "",
              "| text | measured (UTC) | chars | our pages | ours: 3 editions | plain: PDF | ratio "
              "| plain: 3 commands | ratio | peak memory ours / plain PDF |",
              "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]

    def wc(runs_):
        return med(r.seconds for r in runs_), med(r.cpu for r in runs_)

    for t in texts:
        (ow, oc), (pw, pc) = wc(t.ours), wc(t.plain["pdf"])
        aw = sum(wc(v)[0] for v in t.plain.values())
        ac = sum(wc(v)[1] for v in t.plain.values())
        lines.append(f"| {t.name} | {t.measured} | {t.chars:,} | {t.pages or '?'} | {ow:.2f} ({oc:.2f}) | "
                     f"{pw:.2f} ({pc:.2f}) | {ow / pw:.2f}× ({oc / pc:.2f}×) | {aw:.2f} ({ac:.2f}) | "
                     f"{ow / aw:.2f}× ({oc / ac:.2f}×) | {max(r.rss_mb for r in t.ours):.0f} / "
                     f"{max(r.rss_mb for r in t.plain['pdf']):.0f} MB |")
    lines += ["", "Edition by edition: our writer alone (after the shared normalize + parse) "
              "against the whole plain command (which parses again each time); seconds wall (cpu).",
              "", "| text | PDF ours / plain | EPUB ours / plain | HTML ours / plain | "
              "normalize + parse (ours, shared) |", "|---|--:|--:|--:|--:|"]
    for t in texts:
        st, sc = stage_medians(t), stage_medians(t, "cpu")
        st["pdf"], sc["pdf"] = (sum(m[s] for s in ("pdf-prep", "pdf-layout", "pdf-draw")) for m in (st, sc))
        cells = [f"{st[f]:.2f} ({sc[f]:.2f}) / {med(r.seconds for r in t.plain[f]):.2f} "
                 f"({med(r.cpu for r in t.plain[f]):.2f})" for f in ("pdf", "epub", "html")]
        lines.append(f"| {t.name} | " + " | ".join(cells) + f" | {st['normalize'] + st['parse']:.2f} "
                     f"({sc['normalize'] + sc['parse']:.2f}) |")
    lines += ["", "### Our stages", "",
              "Each stage called directly in a fresh child (`--child-stages`). `import` is the "
              "time to import the pipeline and WeasyPrint (`total` also has the interpreter's start); `pdf-layout` is "
              "WeasyPrint's `HTML.render` (HTML parse, CSS cascade, layout) — for a book laid out in "
              "parts, the whole parallel run of the parts (layout and drawing; CPU summed over the "
              "parts) — `pdf-draw` its "
              "`write_pdf` (drawing, font subsetting, PDF serialization), `pdf-prep` our PDF writer "
              "around them. CPU includes pandoc's (a child process). `outside` is the share of the "
              "child's time outside `pdf-layout` + `pdf-draw`. Peak RSS is the Python process's "
              "high-water mark after the stage (pandoc's own is in the CLI peak above).", "",
              "| text | | " + " | ".join(STAGES) + " | total | outside |",
              "|---|---|" + "--:|" * (len(STAGES) + 2)]
    for t in texts:
        for kind, label, total in (("seconds", "wall s", "wall"), ("cpu", "cpu s", "cpu_total")):
            st = stage_medians(t, kind)
            lines.append(f"| {t.name} | {label} | " + " | ".join(f"{st[s]:.2f}" for s in STAGES) +
                         f" | {med(r[total] for r in t.stages):.2f} | {outside_share(t, kind):.1%} |")
        lines.append(f"| {t.name} | peak MB | " + " | ".join(
            f"{max(r['rss'][s] for r in t.stages):.0f}" for s in STAGES) + " | | |")
    lines += ["", "### Targets (issue 7)", ""] + verdicts(targets(texts, None))
    return "\n".join(lines + ["", MARKERS["texts"][1]])


def corpus_report(scale: dict[int, Run], how: str, facts: list[str], load: tuple[float, float]) -> str:
    lines = header("corpus", how, facts, load)
    lines += ["### The whole corpus on one core and on two", "",
              f"`taskset -c 0[,1] python -m pipeline build <the {len(corpus_sources())} texts of "
              "../shared/corpus and source/> --force -j N` (N cores), a fresh output folder each. "
              "One core is one CPU by affinity: a long book's PDF forks its parts over the cores "
              "it may use, so `-j 1` alone would still use two.", "",
              "| cores | wall | cpu | peak memory |", "|--:|--:|--:|--:|"]
    lines += [f"| {j} | {r.seconds:.1f} s | {r.cpu:.1f} s | {r.rss_mb:.0f} MB |"
              for j, r in sorted(scale.items())]
    lines += ["", "### Target (issue 7)", ""] + verdicts(targets([], scale))
    return "\n".join(lines + ["", MARKERS["corpus"][1]])


def verdicts(rows) -> list[str]:
    return [f"- **{'PASS' if ok else 'FAIL'}** {name}: {detail}" for name, ok, detail in rows]


def update_file(path: Path, block: str) -> None:
    """Replace the text between the block's markers; keep everything else (the Profile)."""
    text = path.read_text("utf-8") if path.exists() else \
        "# Benchmarks\n\nThe figures between the markers are written by `make bench`; the rest by hand.\n\n"
    start, end = next(m for m in MARKERS.values() if block.startswith(m[0]))
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, "utf-8")


# -- command line ---------------------------------------------------------------------
def load_results() -> dict:
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}


def save_results(results: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))


def texts_to_bench(novel: str | None) -> list[Path]:
    paths = [SPEECH]
    if CORPUS.is_dir():
        name = novel or next((n for n in NOVELS if (CORPUS / n).exists()), None)
        paths += [CORPUS / name] if name else []
        paths += [CORPUS / BIG] if (CORPUS / BIG).exists() else []
    return paths


def corpus_sources() -> list[Path]:
    src = sorted(p for p in (ROOT / "source").iterdir()
                 if p.is_file() and p.suffix in {".txt", ".md", ".markdown"})
    return sorted(CORPUS.glob("*.txt")) + src if CORPUS.is_dir() else src


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    p.add_argument("--big-runs", type=int, default=1,
                   help=f"runs for texts over {BIG_BYTES // 10**6} MB, i.e. War and Peace (default 1)")
    p.add_argument("--novel", help=f"corpus file of the mid-sized novel (default {NOVELS[0]})")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--no-scaling", action="store_true", help="skip the whole-corpus -j1/-j2 run")
    what.add_argument("--scaling-only", action="store_true", help="only the whole-corpus run")
    what.add_argument("--only", choices=["speech", "catalog"],
                      help="bench the speech only, or the catalog (--catalog N) only")
    what.add_argument("--incremental-only", action="store_true",
                      help="only War and Peace's one-word change against its clean build")
    p.add_argument("--texts", nargs="+", metavar="FILE",
                   help="measure these texts only, keeping the other texts' last figures")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="file to write the tables to")
    p.add_argument("--catalog", type=int, metavar="N",
                   help="also build a catalog of N short texts: per-worker memory as it grows "
                        "(not by default: 1,000 texts take hours on two cores)")
    p.add_argument("--child-stages", help=argparse.SUPPRESS)
    p.add_argument("--child-catalog", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_stages:
        json.dump(stages_child(Path(args.child_stages)), sys.stdout)
        return 0
    if args.child_catalog:
        return _catalog_child(*map(Path, args.child_catalog))

    def log(message):
        print(message, file=sys.stderr, flush=True)

    how = " ".join(argv if argv is not None else sys.argv[1:])
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if not (args.scaling_only or args.incremental_only) and args.only != "catalog":
            paths = ([SPEECH] if args.only else
                     [Path(t) for t in args.texts] if args.texts else texts_to_bench(args.novel))
            # A full run starts afresh; --texts re-measures those texts and keeps the others.
            saved, texts = load_results() if args.texts else {}, []
            load = os.getloadavg()[0]
            for path in paths:
                runs = args.big_runs if path.stat().st_size > BIG_BYTES else args.runs
                log(f"{path.name}: {runs} run(s)")
                try:
                    measured = asdict(bench_text(path, runs, Path(tmp), log))
                except BenchError as exc:
                    log(f"  {path.stem}: not measured: {exc}")
                    continue
                saved = (load_results() if args.texts else saved) | {path.stem: measured}
                save_results(saved)
                texts = [TextBench(**{**d, "ours": [Run(**r) for r in d["ours"]],
                                      "plain": {k: [Run(**r) for r in v] for k, v in d["plain"].items()}})
                         for d in saved.values()]
                block = report(texts, how, machine(), (load, os.getloadavg()[0]))
                update_file(Path(args.out), block)      # after each text: partial results land
                print(block)
            rows += targets(texts, None) if saved else []
        if (CORPUS / BIG).exists() and not (args.scaling_only or args.only or args.texts):
            log(f"{BIG}: one word changed")
            load = os.getloadavg()[0]
            try:
                changed = incremental(CORPUS / BIG, Path(tmp), log)
            except BenchError as exc:
                log(f"  not measured: {exc}")
            else:
                block = incremental_report(CORPUS / BIG, changed, how, machine(),
                                           (load, os.getloadavg()[0]))
                update_file(Path(args.out), block)
                print(block)
                rows += incremental_targets(CORPUS / BIG, changed)
        if not (args.no_scaling or args.only or args.incremental_only):
            log("whole corpus, -j 1 and -j 2")
            load = os.getloadavg()[0]
            scale = scaling(corpus_sources(), Path(tmp), log)
            if scale:
                block = corpus_report(scale, how, machine(), (load, os.getloadavg()[0]))
                update_file(Path(args.out), block)
                print(block)
                rows += targets([], scale)
        if args.catalog:
            log(f"a catalog of {args.catalog} texts")
            load = os.getloadavg()[0]
            found = catalog(args.catalog, Path(tmp), log)
            block = catalog_report(found, how, machine(), (load, os.getloadavg()[0]))
            update_file(Path(args.out), block)
            print(block)
            rows.append(catalog_target(found))
    failed = [name for name, ok, _ in rows if not ok]
    log(f"FAIL: {len(failed)} target(s) missed: {'; '.join(failed)}" if failed
        else "PASS: every target measured was met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
