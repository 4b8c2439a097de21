"""The benchmark's helpers on the speech, one run: the measurements and the report are
well-formed.  No timing is asserted — `make bench` measures, it does not judge a build."""
from __future__ import annotations

import zipfile

import pytest

from pipeline import bench

from conftest import SPEECH

# It runs pandoc, WeasyPrint and ebooklib on their own beside the pipeline: a minute of CPU.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    return bench.bench_text(SPEECH, 1, work, log=lambda message: None), work


def test_measurements_are_complete(speech):
    result, work = speech
    assert result.name == SPEECH.stem and result.chars > 1000
    assert len(result.ours) == 1 and len(result.stages) == 1
    assert set(result.plain) == {"epub", "html", "pdf"}
    for run in [*result.ours, *(r for runs in result.plain.values() for r in runs)]:
        assert run.seconds > 0 and run.cpu > 0 and run.rss_mb > 10
    stages = result.stages[0]
    assert set(stages["seconds"]) == set(stages["cpu"]) == set(stages["rss"]) == set(bench.STAGES)
    assert all(v >= 0 for v in stages["seconds"].values())
    # The stages happen inside the child, so they fit in its wall time.
    assert sum(stages["seconds"].values()) <= stages["wall"]
    assert stages["seconds"]["pdf-layout"] > 0 and stages["seconds"]["pdf-draw"] > 0
    assert result.pages >= 1
    # The plain tools really produced their editions.
    assert (work / "plain.pdf").read_bytes().startswith(b"%PDF")
    assert "EPUB/content.opf" in zipfile.ZipFile(work / "plain.epub").namelist()
    assert "<html" in (work / "plain.html").read_text("utf-8")


def test_report_is_well_formed(speech, tmp_path):
    result, _ = speech
    block = bench.report([result], "--only speech --runs 1", bench.machine(), (0.5, 0.5))
    start, end = bench.MARKERS["texts"]
    assert block.startswith(start) and block.endswith(end)
    assert "nan" not in block and "Python 3." in block
    table, widths = [], []
    for line in block.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            widths.append({row.count("|") for row in table})
            assert len(table) >= 3, table          # header, rule, at least one row
            table = []
    assert len(widths) == 3 and all(len(w) == 1 for w in widths), widths
    verdicts = [line for line in block.splitlines() if line.startswith("- **")]
    assert len(verdicts) == 1 and "Speech" in verdicts[0]
    assert verdicts[0].startswith(("- **PASS**", "- **FAIL**"))

    # Writing it keeps what is outside the markers (the hand-written Profile section).
    target = tmp_path / "BENCHMARKS.md"
    target.write_text("# Benchmarks\n\nintro\n\n## Profile\n\nfindings\n")
    bench.update_file(target, block)
    bench.update_file(target, block.replace("--runs 1", "--runs 2"))
    text = target.read_text()
    assert text.count(start) == 1 and text.count(end) == 1
    assert "## Profile\n\nfindings" in text and "--runs 2" in text and "--runs 1" not in text


def test_corpus_report_gives_a_verdict():
    runs = {1: bench.Run(100.0, 95.0, 900.0), 2: bench.Run(52.0, 97.0, 950.0)}
    block = bench.corpus_report(runs, "--scaling-only", ["facts"], (0.1, 0.2))
    start, end = bench.MARKERS["corpus"]
    assert block.startswith(start) and block.endswith(end)
    assert "| 1 | 100.0 s | 95.0 s | 900 MB |" in block
    assert "- **PASS** Whole corpus: two cores ≥ 1.8× faster than one: 100.0 s / 52.0 s = 1.92×" in block
    runs[2] = bench.Run(60.0, 97.0, 950.0)
    assert "- **FAIL** Whole corpus" in bench.corpus_report(runs, "", ["facts"], (0.1, 0.2))


def test_catalog_report_shows_the_memory_curve_and_a_verdict():
    run = {"seconds": 10.0, "cpu": 18.0, "rss_mb": 300.0}
    workers = [("a.txt", 200.0)] * 10 + [("b.txt", 300.0)] * 9 + [("b.txt", 305.0)]
    found = {"count": 20, "build": run, "noop": run, "workers": workers}
    block = bench.catalog_report(found, "--catalog 20", ["facts"], (0.1, 0.2))
    start, end = bench.MARKERS["catalog"]
    assert block.startswith(start) and block.endswith(end)
    assert "| 1–2 | 200 | 200 |" in block and "| 19–20 | 302 | 305 |" in block
    assert "- **PASS** Catalog: per-worker memory flat" in block      # a step between texts
    assert "b.txt: 300 → 305 MB" in block
    found["workers"] = workers[:-1] + [("b.txt", 340.0)]               # a text's copy grew
    assert "- **FAIL** Catalog" in bench.catalog_report(found, "", [], (0.1, 0.2))
