"""One pool of busy processes for the whole build, shared by every process it forks.

The build (``build.run``) holds one slot per text it is building; a text whose PDF is laid
out in parts by processes of its own (``writers/pdf_parts.py``) lends its slot to the first
of them and takes a spare slot for each other one busy at once, giving it back when that
part is done or waits.  So whole texts and PDF parts share ``-j`` slots: two long books on
two cores keep two processes busy, not six.  Without ``share`` (a writer called on its
own, a Dask worker), ``take`` always succeeds and the parts use every core.
"""
from __future__ import annotations

from typing import Any

_SLOTS: Any = None


def share(slots: int) -> None:
    """Make a pool of ``slots`` for this process and every process it forks after this."""
    import multiprocessing

    global _SLOTS
    _SLOTS = multiprocessing.get_context("fork").BoundedSemaphore(max(1, slots))


def shared() -> bool:
    return _SLOTS is not None


def take() -> bool:
    """A slot, if one is free now (never waits)."""
    return _SLOTS is None or _SLOTS.acquire(block=False)


def give() -> None:
    if _SLOTS is not None:
        _SLOTS.release()


def close() -> None:
    global _SLOTS
    _SLOTS = None
