"""`pipeline check` runs the real validators over a build and reports what they find."""
from __future__ import annotations

import shutil
import zipfile

import pytest

from conftest import SPEECH_SLUG, run_pipeline


@pytest.mark.validator
def test_check_passes_on_the_speech(speech_build):
    proc = run_pipeline("check", speech_build.parent, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "check: 0 errors" in proc.stderr


@pytest.mark.validator
def test_check_reports_broken_editions(speech_build, tmp_path):
    from pipeline.check import check_tree

    out = tmp_path / "out"
    shutil.copytree(speech_build, out / SPEECH_SLUG)
    page = out / SPEECH_SLUG / f"{SPEECH_SLUG}.html"
    page.write_text(page.read_text().replace("<main", "<main><main", 1))
    epub = out / SPEECH_SLUG / f"{SPEECH_SLUG}.epub"
    with zipfile.ZipFile(speech_build / epub.name) as src, zipfile.ZipFile(epub, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith(".css"):
                dst.writestr(info, src.read(info.filename))
    codes = {d.code for d in check_tree(out, browser_checks=False) if d.severity == "error"}
    assert "VNU-HTML" in codes
    assert any(c.startswith("EPUBCHECK-RSC") for c in codes), codes
