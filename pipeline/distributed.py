"""Catalog builds on a Dask cluster: `pipeline build --scheduler ADDRESS`.

Workers need only the installed package, no shared file system: a text travels to a
worker as bytes (the source, its sidecar, the images it names in its folder), the worker
builds it with the same `build_text` as a local build into a temporary folder of its own,
and the editions come back as bytes.  The client alone touches output/: it decides what is
stale, writes each file atomically, keeps the state file, and reports the same
`path:line` diagnostics a local build does.  A task has no effect outside its temporary
folder, so when a worker dies Dask can run it again elsewhere and nothing half-written
ever reaches output/.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .build import (IMAGE_SUFFIXES, BuildOptions, Edition, Source, TextResult, _lost, _read_state,
                    _remove, _remove_editions, _size, _state_path, _task_options, build_text,
                    clean_leftovers, plan, preload, write_atomic, write_tree_atomic)
from .diagnostics import ERROR, Diagnostic, PipelineError
from .writers import formats as format_records

# The variables a build reads from its environment: the client's apply on the worker.
ENVIRONMENT = ("SOURCE_DATE_EPOCH", "PIPELINE_PANDOC_HEAP")
OUTSIDE = None      # a packed file that resolves outside the source's folder


# -- the client's side -------------------------------------------------------------------
def pack(source: Source, images: list[Path]) -> dict[str, bytes | None]:
    """The files a text's build reads, by path relative to its folder.

    A file reached through a link that leaves the folder travels as OUTSIDE, so the
    worker refuses it (E-PATH) exactly as a local build would, never reads it.
    """
    from .safety import inside

    folder = source.path.parent
    files: dict[str, bytes | None] = {}
    for path in (source.path, source.sidecar):
        if path.exists() or path.is_symlink():
            files[path.name] = path.read_bytes() if inside(path, folder) else OUTSIDE
    text = b"".join(v for v in files.values() if v)
    for image in images:
        rel = image.relative_to(folder).as_posix()
        if rel.encode() in text or quote(rel).encode() in text:
            files[rel] = image.read_bytes() if inside(image, folder) else OUTSIDE
    return files


def _images(folder: Path, cache: dict[Path, list[Path]]) -> list[Path]:
    """Every image under a folder, listed once per build, not once per text."""
    if folder not in cache:
        cache[folder] = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                               and not p.is_dir()) if folder.is_dir() else []
    return cache[folder]


def run(sources: list[Source], options: BuildOptions, address: str, progress=None) -> list[TextResult]:
    """Build the stale texts on the cluster at `address`; the results as they come in."""
    from distributed import as_completed

    clean_leftovers(options.out_dir)
    work = plan(sources, options)
    work.sort(key=lambda w: -_size(w[0].path))     # the longest first, as locally
    if not work:
        return []
    environment = {k: os.environ.get(k) for k in ENVIRONMENT}
    task_options = dict(_task_options(options), cache_dir=None)   # no shared file system
    images: dict[Path, list[Path]] = {}
    sources_of: dict[str, Source] = {}
    results: list[TextResult] = []
    with _connect(address) as client:
        if progress:
            progress.start(len(work))
            client.subscribe_topic("pipeline-step", lambda event: progress.step(*event[1]))

        def submit(i: int):
            source, formats, keys = work[i]
            # A key of this build's own: another client's task for the same text (other
            # formats, other options) must not stand in for it.
            key = f"build-{source.slug}-{uuid.uuid4().hex}"
            sources_of[key] = source
            return client.submit(build_remote, source.name, source.slug, pack(source, _images(
                source.path.parent, images)), formats, keys, task_options, environment,
                options.timeout, key=key, priority=len(work) - i)

        # Only a few texts in flight per worker thread: the client, the scheduler and the
        # workers hold a window of the catalog, never all of it.
        window = max(4, 2 * _threads(client))
        queue = as_completed([submit(i) for i in range(min(window, len(work)))])
        sent = min(window, len(work))
        print(f"building {len(work)} text{'s' * (len(work) > 1)} on {_workers(client)} Dask workers at {address}",
              file=sys.stderr)
        for future in queue:
            source = sources_of.pop(future.key)
            try:
                result = receive(source, future.result(), options)
            except Exception as exc:     # the task's own failure, or KilledWorker
                result = _lost(source, options, "E-CRASH", f"the build failed on the cluster "
                               f"({type(exc).__name__}: {exc}); this is a bug, please report it")
            future.release()
            results.append(result)
            if progress:
                progress.done(result)
            if sent < len(work):
                queue.add(submit(sent))
                sent += 1
    clean_leftovers(options.out_dir)
    return results


def _connect(address: str):
    """A client of the scheduler, or an error naming the address (not a traceback)."""
    import dask
    from distributed import Client

    try:
        return Client(address, timeout=dask.config.get("distributed.comm.timeouts.connect"))
    except (OSError, ValueError, TypeError) as exc:
        raise PipelineError(Diagnostic(f"--scheduler {address}", None, "E-SCHEDULER", ERROR,
                                       f"no Dask scheduler answered ({exc}); start one with `dask "
                                       "scheduler` and workers with `dask worker ADDRESS`, or build "
                                       "without --scheduler")) from None


def _threads(client) -> int:
    return sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()) or 1


def _workers(client) -> int:
    return len(client.scheduler_info()["workers"])


def receive(source: Source, answer, options: BuildOptions) -> TextResult:
    """Write what a worker sent back, as build_text writes it locally."""
    result, files, state = answer
    result = replace(result, source=source)
    slug, out_dir = source.slug, options.out_dir
    if result.failed:
        _remove_editions(out_dir, slug)
        state = {}
    else:
        for fmt in ["md", *state.keys() - {"md"}]:
            names = [f"{slug}.md"] if fmt == "md" else [o.path.format(slug=slug)
                                                          for o in format_records()[fmt].outputs]
            for name in names:
                path, data = out_dir / slug / name, files.get(name)
                if data is None:
                    _remove(path)
                elif isinstance(data, dict):
                    write_tree_atomic(path, data)
                else:
                    write_atomic(path, data)
        state = _read_state(out_dir, slug) | state
    write_atomic(_state_path(out_dir, slug), _state_json(state))
    result.editions = [replace(e, path=out_dir / slug / e.path.name) for e in result.editions]
    return result


def _state_json(state: dict) -> bytes:
    import json

    return json.dumps(state, indent=1).encode()


# -- the worker's side -------------------------------------------------------------------
def build_remote(name: str, slug: str, files: dict[str, bytes | None], formats: list[str],
                 keys: dict[str, str], options: dict, environment: dict[str, str | None],
                 timeout: int):
    """Build one text from its packed files in a temporary folder; runs on a worker.

    Returns the TextResult (diagnostics naming the client's paths), the edition files by
    name (a folder as a dict) and the state to record.  Nothing outside the temporary
    folder changes, so running it twice, or on another worker, gives the same answer.
    """
    original = Path(name)
    _step(slug)("building")
    with tempfile.TemporaryDirectory(prefix="pipeline-") as tmp:
        folder, out_dir = Path(tmp, "source"), Path(tmp, "output")
        for rel, data in files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if data is OUTSIDE:
                target.symlink_to(Path(tmp, "outside"))
            else:
                target.write_bytes(data)
        source = Source(folder / original.name, slug, folder / (original.stem + ".yaml"), folder)
        _warm(formats)
        with _environment(environment):
            result, problem = _forked(lambda: build_text(source, formats, out_dir, keys, options),
                                      timeout)
        if problem:
            code, message = problem
            result = TextResult(source, [], [Diagnostic(str(source.path), None, code, ERROR, message)],
                                failed=True)
        editions = _read_tree(out_dir / slug) if (out_dir / slug).is_dir() and not problem else {}
        state = _read_state(out_dir, slug)

    def here(text: str) -> str:
        return text.replace(str(source.path), name).replace(str(folder), str(original.parent))

    result.diagnostics = [replace(d, path=here(d.path), message=here(d.message))
                          for d in result.diagnostics]
    result.editions = [Edition(e.fmt, Path(e.path.name), e.seconds, e.size, e.pages)
                       for e in result.editions]
    return TextResult(Source(original, slug, original.with_name(original.stem + ".yaml"),
                             original.parent), result.editions, result.diagnostics,
                      result.failed), editions, state


WARM: set[str] = set()      # the formats whose writers this worker process has run


def _warm(formats: list[str]) -> None:
    """Import and run the writers once in the worker process, as the local pool's parent
    does before it forks, so that every text's child starts warm (not with WeasyPrint's,
    Pango's and fontconfig's set-up, seconds per text)."""
    if not WARM.issuperset(formats):
        preload(sorted(WARM | set(formats)), warm=True)
        WARM.update(formats)


def _forked(build, timeout: int) -> tuple[Any, tuple[str, str] | None]:
    """build() in a forked child, as a local build runs each text: its memory limit, its
    time limit and a crash stay the text's own, and the worker's memory stays flat however
    many texts it builds.  (os.fork, not multiprocessing: a worker under a nanny is a
    daemon process, which multiprocessing forbids to have children.)"""
    import ctypes
    import pickle
    import select
    import signal

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:        # the child: build, send the result, leave without the worker's exit
        code = 1
        try:
            os.close(read)
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(build()))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    data = bytearray()
    deadline = time.monotonic() + timeout if timeout else None
    with os.fdopen(read, "rb", buffering=0) as pipe:
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([pipe], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None, ("E-TIMEOUT", f"building took longer than {timeout} s and was stopped; "
                              "raise the limit with --timeout if the text is really that long")
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            data += chunk
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return pickle.loads(data), None
    return None, ("E-CRASH", f"the build process died (exit status {os.waitstatus_to_exitcode(status)}); "
                  "this is a bug, please report it")


def _read_tree(folder: Path) -> dict:
    """A folder's files as {name: bytes}, a subfolder as {name: {relative path: bytes}}."""
    out: dict = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            out[entry.name] = {p.relative_to(entry).as_posix(): p.read_bytes()
                               for p in sorted(entry.rglob("*")) if p.is_file()}
        else:
            out[entry.name] = entry.read_bytes()
    return out


class _environment:
    """The client's SOURCE_DATE_EPOCH (and the like) while the task runs.  A worker runs
    one client's tasks with one environment, so concurrent tasks agree on it."""

    def __init__(self, values: dict[str, str | None]):
        self.values = values

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.values}
        _set(self.values)

    def __exit__(self, *exc):
        _set(self.saved)


def _set(values: dict[str, str | None]) -> None:
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _step(slug: str):
    """Forward "which edition now" to the client's progress bar, as a local build does."""
    from distributed import get_worker

    worker = get_worker()
    return lambda what: worker.log_event("pipeline-step", (slug, f"{what} on {worker.name}"))

