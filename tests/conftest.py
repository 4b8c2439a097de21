"""Shared fixtures: paths, the corpus, and one build of the speech per test session."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SPEECH = ROOT / "source" / "international-day-of-solidarity-2023.txt"
SPEECH_SLUG = "international-day-of-solidarity-2023"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/stages/*/expected.md from the normalizer (review the diff)")


def corpus_file(name: str) -> Path:
    """A corpus text; the test skips only when the corpus folder is absent (a user's clone)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present in this clone")
    path = CORPUS / name
    assert path.is_file(), f"corpus file {name} is missing from {CORPUS}"
    return path


def run_pipeline(*args, cwd=ROOT, env=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"pipeline {args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Playwright on Debian's chromium) for a module's tests."""
    from pipeline import validate

    with validate.chromium() as b:
        yield b


@pytest.fixture(scope="session")
def speech_build(tmp_path_factory) -> Path:
    """output/<slug>/ of a full build of the speech, built once per session."""
    out = tmp_path_factory.mktemp("speech-out")
    run_pipeline("build", SPEECH, "-o", out)
    return out / SPEECH_SLUG


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """built(path) -> the output folder of that source, built once per test run.

    The builds live beside the xdist workers' temporary folders and are guarded by a file
    lock, so the two workers share one build of each text (War and Peace is built once).
    """
    import fcntl

    # Under xdist each worker's folder sits in the session's; without it the parent is
    # every session's (pytest-of-<user>), where an old build would be taken for this one's.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-builds"
    shared.mkdir(exist_ok=True)

    def get(source: Path) -> Path:
        from pipeline.build import slugify

        slug = slugify(Path(source).stem)
        out = shared / slug
        with open(shared / f"{slug}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (out / ".complete").exists():
                run_pipeline("build", source, "-o", out)
                (out / ".complete").touch()
        return out / slug

    return get
