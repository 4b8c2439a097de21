"""-j is an upper bound: the build's pool (pipeline.pool) has no more slots than cores."""
from __future__ import annotations

import time
from pathlib import Path

from pipeline import build, pool


def test_jobs_beyond_the_cores_do_not_run_more_texts_at_once(tmp_path: Path, monkeypatch):
    log = tmp_path / "log"

    def fake_build_text(source, formats, out_dir, keys, options, step=None):
        assert pool.shared()
        with open(log, "a") as f:
            f.write(f"{time.monotonic()} 1\n")
        time.sleep(0.4)
        with open(log, "a") as f:
            f.write(f"{time.monotonic()} -1\n")
        return build.TextResult(source)

    monkeypatch.setattr(build, "build_text", fake_build_text)
    monkeypatch.setattr(build, "cores", lambda: 2)
    sources = [build.Source(tmp_path / f"t{i}.md", f"t{i}", tmp_path / f"t{i}.yaml", tmp_path)
               for i in range(6)]
    work = [(s, ["html"], {}) for s in sources]
    results = list(build._run_forked(work, build.BuildOptions(out_dir=tmp_path / "out", jobs=8)))
    assert len(results) == 6 and not any(r.failed for r in results)
    running = most = 0
    for line in sorted(log.read_text().splitlines(), key=lambda s: (float(s.split()[0]), s)):
        running += int(line.split()[1])
        most = max(most, running)
    assert most == 2
    assert not pool.shared()                # the build let go of its pool
