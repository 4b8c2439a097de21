"""`make dist`: pack the editions, the catalog and the feed into one versioned archive.

The archive holds exactly the files listed in ``output/SHA256SUMS`` (after checking that
each still has its checksum) plus ``SHA256SUMS`` itself, under one top folder
``<name>-<version>/``.  It is reproducible: names sorted, every timestamp set to
SOURCE_DATE_EPOCH (or 1980-01-01), owner root, modes 0644, and a gzip header without
time or file name, so the same output/ always gives the same bytes.

    python -m pipeline.dist [--out output] [--dist dist] [--name library] [--version V]
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import tarfile
from pathlib import Path

DEFAULT_EPOCH = 315532800   # 1980-01-01T00:00:00Z


def _epoch() -> int:
    from .document import source_date_epoch

    epoch = source_date_epoch()
    return DEFAULT_EPOCH if epoch is None else epoch


def default_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pipeline")
    except PackageNotFoundError:
        return "0"


def listed_files(out_dir: Path) -> list[str]:
    """The files SHA256SUMS lists, each checked against its checksum; raises on a mismatch."""
    sums = out_dir / "SHA256SUMS"
    if not sums.is_file():
        raise FileNotFoundError(f"{sums} is missing: build first (`make`), which writes the catalog")
    names, bad = [], []
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = out_dir / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(name)
        names.append(name)
    if bad:
        raise ValueError(f"{len(bad)} file(s) in {out_dir} no longer match SHA256SUMS "
                         f"(first: {bad[0]}); rebuild with `make` before `make dist`")
    return sorted(names + ["SHA256SUMS"])


def make_dist(out_dir: Path, dist_dir: Path, name: str = "library", version: str | None = None) -> Path:
    """Write ``dist/<name>-<version>.tar.gz`` and return its path."""
    out_dir, dist_dir = Path(out_dir), Path(dist_dir)
    version = version or default_version()
    stem = f"{name}-{version}"
    mtime = _epoch()
    names = listed_files(out_dir)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for folder in _with_parents([str(Path(stem, n).parent) for n in names]):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for rel in names:
            data = (out_dir / rel).read_bytes()
            info = tarfile.TarInfo(f"{stem}/{rel}")
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(tar_bytes.getvalue())
    from .build import write_atomic

    target = dist_dir / f"{stem}.tar.gz"
    write_atomic(target, packed.getvalue())
    return target


def _with_parents(folders: list[str]) -> list[str]:
    out: set[str] = set()
    for f in folders:
        p = Path(f)
        out.update(str(q) for q in [p, *p.parents] if str(q) != ".")
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.dist", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("output"), help="the built output folder")
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="where to write the archive")
    parser.add_argument("--name", default="library", help="archive name (default: library)")
    parser.add_argument("--version", help="version in the file name (default: the pipeline's)")
    args = parser.parse_args(argv)
    try:
        path = make_dist(args.out, args.dist, args.name, args.version)
    except (OSError, ValueError) as exc:
        print(f"{args.out}: error[E-DIST]: {exc}", file=sys.stderr)
        return 1
    print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
