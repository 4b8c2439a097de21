"""One way to report a problem: a Diagnostic with a location and a stable code.

Messages read ``path:line: severity[CODE]: what is wrong and what to do``, the shape
compilers and Sphinx use, so editors and CI logs can jump to the place.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int | None
    code: str
    severity: str
    message: str

    def __str__(self) -> str:
        # File-level problems point at line 1, as compilers do, so every message has a place.
        return f"{self.path}:{self.line or 1}: {self.severity}[{self.code}]: {self.message}"


class PipelineError(Exception):
    """An error the user can fix; carries the diagnostics that explain it."""

    def __init__(self, *diagnostics: Diagnostic):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in diagnostics))


def error(path: str, line: int | None, code: str, message: str) -> PipelineError:
    return PipelineError(Diagnostic(str(path), line, code, ERROR, message))


@dataclass
class Report:
    """Collects diagnostics for one source; stages append, the build prints."""

    path: str
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, line: int | None, code: str, message: str, severity: str = WARNING) -> None:
        self.items.append(Diagnostic(self.path, line, code, severity, message))

    def warn(self, line: int | None, code: str, message: str) -> None:
        self.add(line, code, message, WARNING)

    def info(self, line: int | None, code: str, message: str) -> None:
        self.add(line, code, message, INFO)

    def fail(self, line: int | None, code: str, message: str) -> PipelineError:
        """Record an error and return the exception to raise."""
        d = Diagnostic(self.path, line, code, ERROR, message)
        self.items.append(d)
        return PipelineError(d)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == ERROR for d in self.items)


def emit(diagnostics: Iterable[Diagnostic], stream: TextIO | None = None, min_severity: str = WARNING) -> None:
    order = {INFO: 0, WARNING: 1, ERROR: 2}
    stream = stream or sys.stderr
    for d in diagnostics:
        if order[d.severity] >= order[min_severity]:
            print(d, file=stream)
