"""Command line: build, normalize, check."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from typing import TYPE_CHECKING, Any

from .diagnostics import ERROR, WARNING, PipelineError, emit

if TYPE_CHECKING:
    from .build import TextResult


class Progress:
    """Progress on a terminal (rich); a single summary line otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar: Any = None

    def start(self, total: int) -> None:
        if self.tty and total:
            from rich.progress import Progress as Bar

            self.bar = Bar(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("Building", total=total)

    def step(self, slug: str, what: str) -> None:
        if self.bar:
            self.bar.update(self.task, description=f"{slug}: {what}")

    def done(self, result: TextResult) -> None:
        if self.bar:
            self.bar.update(self.task, advance=1, description=f"built {result.source.slug}")

    def stop(self) -> None:
        if self.bar:
            self.bar.stop()


def summary(results: list[TextResult]) -> None:
    rows = [(r.source.slug, e.path.name + ("/" if e.path.is_dir() else ""), e.seconds, e.pages, e.size)
            for r in results if not r.failed for e in r.editions]
    if not rows:
        return
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table("text", "edition", "time", "pages", "size", box=None)
        for slug, fmt, sec, pages, size in rows:
            table.add_row(slug, fmt, f"{sec:.2f} s", str(pages or ""), f"{size / 1024:,.0f} KiB")
        Console(stderr=True).print(table)
    else:
        total = sum(r[2] for r in rows)
        texts = len({r[0] for r in rows})
        print(f"built {len(rows)} editions of {texts} texts in {total:.1f} s of work",
              file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    from . import build

    options = build.BuildOptions(formats=tuple(args.formats), out_dir=Path(args.output),
                                 source_dir=Path(args.source_dir), jobs=args.jobs,
                                 force=args.force,
                                 overrides=_overrides(args.set), timeout=args.timeout,
                                 memory_mb=args.memory_limit,
                                 cache_dir=Path(args.cache_dir) if args.cache_dir else None)
    sources, problems = build.discover([Path(p) for p in args.sources], options.source_dir)
    emit(problems)
    if not args.sources:
        for slug in build.prune(options.out_dir, {s.slug for s in sources}):
            print(f"removed output/{slug}/: its source is gone", file=sys.stderr)
    progress = Progress()
    try:
        if args.scheduler:
            from . import distributed

            results = distributed.run(sources, options, args.scheduler, progress)
        else:
            results = build.run(sources, options, progress)
    finally:
        progress.stop()
    if not args.sources:
        from .catalog import write_catalog

        write_catalog(options.out_dir, [s.slug for s in sources])
    failed = bool(problems)
    for r in results:
        emit(r.diagnostics, min_severity=WARNING if not args.verbose else "info")
        failed |= r.failed
        if args.strict and any(d.severity == WARNING for d in r.diagnostics):
            failed = True
    summary(results)
    return 1 if failed else 0


def _overrides(pairs: list[str]) -> dict:
    """--set KEY=VALUE pairs, checked like a sidecar (and the formats' options); an error
    names the flag."""
    from .metadata import parse
    from .writers import option_checks

    values: dict = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        values |= parse(f"{key.strip()}: {value.strip()}", f"--set {pair}", checks=option_checks())
    return values


def cmd_normalize(args: argparse.Namespace) -> int:
    from .metadata import load_sidecar
    from .stages import normalize

    path = Path(args.source)
    sidecar = load_sidecar(path.with_name(path.stem + ".yaml"))
    if args.explain:
        from .stages import explain

        print("\n".join(explain(path, sidecar=sidecar)))
        return 0
    markdown, _, report = normalize(path, sidecar=sidecar)
    emit(report.items, min_severity="info" if args.verbose else WARNING)
    if args.output:
        from .build import write_atomic

        write_atomic(Path(args.output), markdown.encode("utf-8"))
    else:
        sys.stdout.write(markdown)
    return 1 if report.has_errors else 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_tree

    diagnostics = check_tree(Path(args.dir))
    emit(diagnostics, stream=sys.stdout)
    errors = sum(d.severity == ERROR for d in diagnostics)
    print(f"check: {errors} errors, {len(diagnostics) - errors} warnings", file=sys.stderr)
    return 1 if errors else 0


def cmd_formats(args: argparse.Namespace) -> int:
    """What `pipeline formats` prints: every format's record, for users and the README."""
    from .writers import formats

    for record in formats().values():
        print(f"{record.name}: {record.about}")
        for output in record.outputs:
            print(f"  output/<slug>/{output.path.replace('{slug}', '<slug>')}  {output.label}")
        for key, parse in record.options.items():      # a parser given nothing gives the default
            print(f"  option {key} (default: {parse(None)})")
        if record.validators:
            print(f"  checked by: {', '.join(v.split(':')[1] for v in record.validators)}")
    return 0


def parser() -> argparse.ArgumentParser:
    from .writers import format_names

    FORMATS = format_names()

    p = argparse.ArgumentParser(prog="python -m pipeline",
                                description="Publish texts as print (PDF), e-book (EPUB) and web (HTML) editions.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build editions of every text in source/ (or the given ones)")
    b.add_argument("sources", nargs="*", metavar="SOURCE")
    b.add_argument("--formats", type=lambda s: [f.strip() for f in s.split(",") if f.strip()],
                   default=list(FORMATS), help="comma-separated: " + ",".join(FORMATS))
    b.add_argument("-o", "--output", default="output", help="output folder (default: output)")
    b.add_argument("--source-dir", default="source", help="where sources are (default: source)")
    b.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default and at most: one per core)")
    b.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="set a metadata or print option for this build, e.g. --set trim=a4")
    b.add_argument("--timeout", type=int, default=900, metavar="SECONDS",
                   help="stop a text whose build takes longer (default: 900)")
    b.add_argument("--memory-limit", type=int, default=6144, metavar="MIB",
                   help="memory one text's build may use (default: 6144)")
    b.add_argument("--cache-dir", default=os.environ.get("PIPELINE_CACHE_DIR"), metavar="DIR",
                   help="where the steps' cache is kept (default: OUTPUT/.cache, or PIPELINE_CACHE_DIR)")
    b.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER_ADDRESS"), metavar="ADDRESS",
                   help="build on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default: $DASK_SCHEDULER_ADDRESS, else the local cores)")
    b.add_argument("-v", "--verbose", action="store_true", help="also show informational notes")
    b.set_defaults(func=cmd_build)
    n = sub.add_parser("normalize", help="print the normalized Markdown of one source")
    n.add_argument("source")
    n.add_argument("-o", "--output", help="write to this file instead of standard output")
    n.add_argument("--explain", action="store_true",
                   help="list every structural decision (headings, notes, verse…) with its line")
    n.add_argument("-v", "--verbose", action="store_true", help="also show informational notes")
    n.set_defaults(func=cmd_normalize)
    c = sub.add_parser("check", help="run the validators over built editions")
    c.add_argument("dir", nargs="?", default="output")
    c.set_defaults(func=cmd_check)
    f = sub.add_parser("formats", help="list the output formats, their files, options and checks")
    f.set_defaults(func=cmd_formats)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "formats", None):
        from .writers import format_names

        unknown = [f for f in args.formats if f not in format_names()]
        if unknown:
            parser().error(f"unknown format {unknown[0]!r}; choose from {', '.join(format_names())}")
    try:
        return args.func(args)
    except PipelineError as exc:
        emit(exc.diagnostics)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left in the output", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
