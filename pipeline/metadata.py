"""Metadata given by the user: `source/<slug>.yaml` beside a source, or Markdown front matter.

Keys are checked against the schema below; an unknown key is an error that names the
closest known one, a value of the wrong type an error at its line.
"""
from __future__ import annotations

import datetime as _dt
import difflib
from dataclasses import replace
from pathlib import Path

import yaml

from .diagnostics import Diagnostic, ERROR, PipelineError

TEXT = (str,)
DATE = (str, int, _dt.date)
LIST = (list, str)
SCHEMA = {
    "title": TEXT, "subtitle": TEXT, "author": LIST, "translator": LIST, "editor": LIST,
    "illustrator": LIST, "published": DATE, "date": DATE,
    "language": TEXT, "publisher": TEXT, "rights": TEXT, "identifier": TEXT,
    "description": TEXT, "subjects": LIST, "source": TEXT, "cover": TEXT,
    # Print options, per text.
    "trim": TEXT, "bleed": (bool, str, int, float), "crop-marks": (bool,),
    "even-pages": (bool,), "chapter-start": TEXT, "pdf-a": (bool,), "pdf-parts": (int, str),
}


def _fail(path: Path | str, line: int, code: str, message: str) -> PipelineError:
    return PipelineError(Diagnostic(str(path), line, code, ERROR, message))


def parse(text: str, path: Path | str, first_line: int = 1, checks: dict | None = None) -> dict:
    """Parse and check a YAML mapping; errors carry the file and line.

    ``checks`` ({key: parser}, the formats' options: ``pipeline.writers.option_checks``)
    also checks those values, so a bad print option is reported here, at its line, rather
    than by the writer."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + first_line) if mark else first_line
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(path, line, "E-YAML", f"the metadata is not valid YAML ({problem}); "
                    "check the indentation and quote values that contain a colon") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _fail(path, first_line, "E-META", "metadata must be a mapping of keys to values "
                    "(for example `title: My Book`)")
    lines = {k.value: k.start_mark.line + first_line for k, _ in node.value} if node else {}
    for key, value in data.items():
        line = lines.get(key, first_line)
        if key not in SCHEMA:
            close = difflib.get_close_matches(str(key), SCHEMA, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else \
                f"; known keys: {', '.join(sorted(SCHEMA))}"
            raise _fail(path, line, "E-META-KEY", f"unknown metadata key `{key}`{hint}")
        if not isinstance(value, SCHEMA[key]) or (
                isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            want = " or ".join(sorted({t.__name__ for t in SCHEMA[key]}))
            raise _fail(path, line, "E-META-TYPE",
                        f"`{key}` must be {want}, not {type(value).__name__}")
        if checks and key in checks:
            try:
                checks[key](value)
            except PipelineError as exc:
                raise PipelineError(*(replace(d, path=str(path), line=line)
                                      for d in exc.diagnostics)) from None
    return data


def load_sidecar(path: Path, checks: dict | None = None) -> dict:
    if not path.exists():
        return {}
    return parse(path.read_text(encoding="utf-8"), path, checks=checks)
