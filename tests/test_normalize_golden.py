"""Golden tests for the normalize stages: tests/stages/<rule>/{in.*, expected.md}.

Run on their own with ``make golden``; regenerate on purpose with ``make golden-update``
(pytest's ``--update-golden``) and review the diff before committing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.stages import normalize
from pipeline.stages.typography import typeset

STAGES_DIR = Path(__file__).resolve().parent / "stages"
RULES = sorted(p for p in STAGES_DIR.iterdir() if p.is_dir())


def produce(rule: Path) -> str:
    source = next(rule.glob("in.*"))
    if rule.name.startswith("typography-"):
        lang = rule.name.split("-", 1)[1]
        lines = source.read_text(encoding="utf-8").split("\n")
        return "\n".join(typeset(line, lang) for line in lines)
    markdown, _, report = normalize(source)
    notes = "".join(f"<!-- {d} -->\n" for d in report.items
                    if d.severity != "info" or d.code not in ("I-LINE-ENDS",))
    return markdown + ("\n" + notes if notes else "")


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_golden(rule, request):
    update = request.config.getoption("--update-golden")
    expected = rule / "expected.md"
    got = produce(rule).replace(str(rule) + "/", "")
    if update or not expected.exists():
        if not update:
            pytest.fail(f"{expected} is missing; run `make golden-update` and review it")
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", [r for r in RULES if not r.name.startswith("typography-")],
                         ids=[r.name for r in RULES if not r.name.startswith("typography-")])
def test_golden_output_is_a_fixed_point(rule):
    markdown, _, _ = normalize(next(rule.glob("in.*")))
    again, _, _ = normalize(Path("again.md"), raw=markdown.encode())
    assert again == markdown
