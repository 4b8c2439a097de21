"""Writers: pure functions from a Document (and options) to the bytes of one edition.

Every module here that defines ``FORMAT = Format(...)`` (see base.py) is an output format;
``formats()`` finds them, and the build, the catalog, `pipeline check`, the CLI and
`pipeline formats` iterate that, so adding a format is adding one module.  Writers never
touch the file system apart from reading package data, nor read the environment or the
clock: what the build read once arrives on the Document (``cover``, ``epoch``, ``fonts``),
and the build writes what they return (tests/test_architecture.py scans for it).
"""
from __future__ import annotations

import pkgutil
from dataclasses import replace
from functools import cache
from importlib import import_module

from .base import Format, Output

__all__ = ["Format", "Output", "formats", "format_names", "option_checks", "writers_for"]


@cache
def formats() -> dict[str, Format]:
    """{name: Format} of every format module in this package, in build order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{info.name}")
        record = getattr(module, "FORMAT", None)
        if isinstance(record, Format):
            found.append(replace(record, module=module.__name__))
    found.sort(key=lambda f: (f.rank, f.name))
    names = [f.name for f in found]
    clash = {n for n in names if names.count(n) > 1}
    if clash:
        raise RuntimeError(f"two writer modules define the format {sorted(clash)[0]!r}")
    return {f.name: f for f in found}


def format_names() -> tuple[str, ...]:
    return tuple(formats())


def option_checks() -> dict:
    """{metadata key: parser} of every format's options, for ``pipeline.metadata.parse``."""
    return {key: check for record in formats().values() for key, check in record.options.items()}


def writers_for(fmt: str) -> list[tuple]:
    """[(writer function, output name pattern)] of one format."""
    return [(o.write, o.path) for o in formats()[fmt].outputs]
