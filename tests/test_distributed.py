"""Issue 18: a catalog built on a real Dask cluster (a `dask scheduler` and two `dask
worker` processes on 127.0.0.1) gives the same files as a local build, survives a worker
killed mid-build, and lets a bad text fail alone with its path:line error."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SPEECH, run_pipeline

pytestmark = pytest.mark.slow
DASK = Path(sys.executable).with_name("dask")
ENV = {"SOURCE_DATE_EPOCH": "1700000000"}
# Small texts of several kinds; one names an image beside it, one names a missing image.
TEXTS = [SPEECH, ROOT / "tests/fixtures/html/novella.md", ROOT / "tests/fixtures/normalize/verse.txt"]


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-thread workers as real processes, on free ports; the
    workers see no file of the test, only the installed package (PYTHONPATH)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    spec = tmp_path / "scheduler.json"
    procs = []

    def start(*args):
        log = open(tmp_path / f"dask-{len(procs)}.log", "w")
        procs.append(subprocess.Popen([str(DASK), *args], env=env, cwd="/", stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True))
        return procs[-1]

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(spec))
        workers = {name: start("worker", "--scheduler-file", str(spec), "--host", "127.0.0.1",
                               "--nthreads", "1", "--no-dashboard", "--name", name)
                   for name in ("w1", "w2")}
        address = _wait_for_workers(spec, 2)
        yield address, workers
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _wait_for_workers(spec: Path, count: int) -> str:
    from distributed import Client

    deadline = time.monotonic() + 90
    while not spec.exists():
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.2)
    address = json.loads(spec.read_text())["address"]
    assert address.startswith("tcp://127.0.0.1:")
    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=90)
    return address


@pytest.fixture
def catalog(tmp_path):
    """A source folder: the small texts, a Markdown text with its image, a broken text."""
    from PIL import Image

    src = tmp_path / "source"
    src.mkdir()
    for text in TEXTS:
        shutil.copy(text, src / text.name)
    (src / "figures").mkdir()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(src / "figures" / "map.png")
    (src / "atlas.md").write_text("---\ntitle: Atlas\nlanguage: en\n---\n\n# The map\n\n"
                                  "Here is the map of the island.\n\n![The island](figures/map.png)\n")
    (src / "broken.md").write_text("---\ntitle: Broken\nlanguage: en\n---\n\nA text.\n\n"
                                   "![A figure](figures/missing.png)\n")
    return src


def _tree(out: Path) -> dict[str, bytes]:
    """Every file of output/ but the catalog's records (they hold inodes and times) and the
    local build's cache of its steps."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.parent.name != ".catalog"
            and p.relative_to(out).parts[0] != ".cache"}


def _build(src: Path, out: Path, *args, check=False):
    return run_pipeline("build", "--source-dir", src, "-o", out, *args, env=ENV, check=check)


def test_cluster_build_is_the_local_build(cluster, catalog, tmp_path):
    address, _ = cluster
    local = _build(catalog, tmp_path / "local")
    remote = _build(catalog, tmp_path / "remote", "--scheduler", address)
    assert local.returncode == remote.returncode == 1        # broken.md, and nothing else
    want = (f"{catalog}/broken.md:8: error[E-IMAGE]: image `figures/missing.png` does not exist "
            f"(looked for {catalog}/figures/missing.png)")     # the client's paths, not the worker's
    for proc in (local, remote):
        errors = [line for line in proc.stderr.splitlines() if "error[" in line]
        assert errors == [want], proc.stderr
    assert "on 2 Dask workers" in remote.stderr and "Traceback" not in remote.stderr
    files = _tree(tmp_path / "local")
    assert _tree(tmp_path / "remote") == files
    assert not any(name.startswith("broken/") for name in files)
    for slug in ("atlas", "novella", "verse", SPEECH.stem):
        assert {f"{slug}/{slug}.{fmt}" for fmt in ("md", "html", "epub", "pdf")} <= files.keys()
    assert b"data:image/png" in files["atlas/atlas.html"]       # the image travelled too
    # Up to date: only the broken text is sent again (as a local build retries it).
    again = _build(catalog, tmp_path / "remote", "--scheduler", address)
    assert "building 1 text on" in again.stderr and _tree(tmp_path / "remote") == files
    # Each text is built in a child of its worker, under the build's time limit.
    long = catalog / "long.md"
    long.write_text("---\ntitle: Long\nlanguage: en\n---\n\n" + "\n\n".join(
        f"Paragraph {i}: " + "the quick brown fox jumps over the lazy dog " * 20 for i in range(1500)))
    timed = run_pipeline("build", long, "-o", tmp_path / "timed", "--scheduler", address, "--timeout", "1",
                         env=ENV, check=False)
    errors = [line.split(": ")[0] for line in timed.stderr.splitlines() if "error[" in line]
    assert timed.returncode == 1 and errors == [f"{long}:1"], timed.stderr
    assert "error[E-TIMEOUT]: building took longer than 1 s" in timed.stderr
    assert not (tmp_path / "timed" / "long").exists()


def test_worker_killed_mid_build(cluster, catalog, tmp_path):
    from distributed import Client

    address, workers = cluster
    (catalog / "broken.md").unlink()
    local = _build(catalog, tmp_path / "local", check=True)
    build = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--source-dir", catalog,
                              "-o", tmp_path / "remote", "--scheduler", address], cwd=ROOT,
                             env={**os.environ, **ENV}, stderr=subprocess.PIPE, text=True)
    try:
        with Client(address, timeout=30) as client:
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            victim = None
            deadline = time.monotonic() + 120
            while victim is None and time.monotonic() < deadline and build.poll() is None:
                busy = [a for a, keys in client.processing().items() if _building(keys)]
                victim = busy[0] if busy else None
                time.sleep(0.1)
            assert victim, "no build task ever ran on the cluster"
            time.sleep(0.5)                  # inside the text's build
            assert _building(client.processing()[victim]), "the task ended before the kill"
            os.killpg(workers[names[victim]].pid, signal.SIGKILL)
            workers[names[victim]].wait()
        _, stderr = build.communicate(timeout=300)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 0, stderr
    assert _tree(tmp_path / "remote") == _tree(tmp_path / "local"), local.stderr + stderr


def _building(keys) -> list[str]:
    return [str(k) for k in keys if str(k).startswith("build-")]


def test_no_scheduler_is_an_error_naming_it(catalog, tmp_path):
    address = "tcp://127.0.0.1:1"          # nothing listens on port 1
    proc = run_pipeline("build", catalog / "atlas.md", "-o", tmp_path / "out", "--scheduler", address,
                        env={**ENV, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"--scheduler {address}:1: error[E-SCHEDULER]: no Dask scheduler answered")
    assert "Traceback" not in proc.stderr and not (tmp_path / "out" / "atlas").exists()
