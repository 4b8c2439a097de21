"""A content-addressed cache of build steps: what a step made, under a hash of what fed it.

A key is the SHA-256 of everything a step's result depends on (the bytes it read, its
options, the code and tool versions of the edition, see ``build.code_keys``), so an entry
is never stale: a change anywhere gives another key.  Each entry is stored with the
SHA-256 of its own bytes; one that does not match (truncated, corrupt) is deleted and
reported as absent, so the step runs again.  The folder (``output/.cache`` by default,
``--cache-dir`` or ``PIPELINE_CACHE_DIR``) is kept under a size bound, the entries used
least recently going first; ``make clean`` removes it with ``output/``.

The build turns the cache on in each process that builds a text (``use``); without that,
``active()`` is a cache that never holds anything, so writers called on their own (tests,
a benchmark) always do the work.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

DEFAULT_MB = 2048         # the bound on the folder's size
ENTRY = 32                # an entry: the SHA-256 of the payload, then the payload


def key(*parts: Any) -> str:
    """The hash of ``parts`` (bytes, str or anything with a stable repr), in order."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class Cache:
    def __init__(self, root: Path | None, limit_mb: int = DEFAULT_MB,
                 code: dict[str, str] | None = None):
        self.root, self.limit = root, limit_mb * 2**20
        self.code = code or {}      # per edition, the hash of its code (build.code_keys)

    def _path(self, name: str) -> Path:
        assert self.root is not None
        return self.root / name[:2] / name

    def get(self, name: str) -> bytes | None:
        """The bytes stored under ``name``, or None (absent, or damaged and now removed)."""
        if self.root is None:
            return None
        path = self._path(name)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        payload = data[ENTRY:]
        if len(data) < ENTRY or hashlib.sha256(payload).digest() != data[:ENTRY]:
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)          # recently used: pruned last
        except OSError:
            pass
        return payload

    def put(self, name: str, data: bytes) -> None:
        if self.root is None:
            return
        path = self._path(name)
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(hashlib.sha256(data).digest() + data)
            os.replace(tmp, path)
        except OSError:             # a full disk costs speed, never the build
            tmp.unlink(missing_ok=True)

    def load(self, name: str) -> Any:
        """A Python value stored with ``store`` (None if absent)."""
        data = self.get(name)
        return None if data is None else pickle.loads(data)

    def store(self, name: str, value: Any) -> None:
        self.put(name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def prune(self) -> None:
        """Remove the least recently used entries until the folder is within its bound, and
        what a build stopped while writing an entry left behind."""
        if self.root is None or not self.root.is_dir():
            return
        entries = []
        for path in self.root.glob("*/*"):
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.name.startswith("."):
                path.unlink(missing_ok=True)
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
            if total <= self.limit:
                break
            path.unlink(missing_ok=True)
            total -= size


_ACTIVE = Cache(None)


def use(root: Path | None, limit_mb: int = DEFAULT_MB,
        code: dict[str, str] | None = None) -> Cache:
    """Turn the cache on (or off, with None) for this process and the ones it forks;
    ``code``: per edition, the hash of the code that makes it, part of every key."""
    global _ACTIVE
    _ACTIVE = Cache(Path(root) if root else None, limit_mb, code)
    return _ACTIVE


def active() -> Cache:
    return _ACTIVE
