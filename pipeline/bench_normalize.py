"""The normalizer scored against ../shared/normalizer-bench, in sample and out of sample.

Every book with a gold file (``gold/*.json``, never a fixed list: books get added) is
normalized from its input (``src/<slug>.txt``, else ``../corpus/<slug>.txt``) and scored by
the bench's own ``score.py``.  The books are split once, by a hash of their slug, into a
*tuning* half and a *held-out* half: rules are developed looking at the tuning half only,
and the held-out half tells whether they carry to books they were not made on.  The split
is a property of the slug alone, so a book added later falls into one half and stays there.

    python -m pipeline.bench_normalize [--bench DIR] [--out DIR] [--jobs N] [--explain]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DEFAULT_BENCH = Path("../shared/normalizer-bench")
METRICS = ("head_F1", "headL_F1", "para_F1", "ital_R", "typo", "leak", "cover", "verse_F1",
           "bq_F1", "fn_R", "score")


def held_out(slug: str) -> bool:
    """A book is held out when the first byte of its slug's MD5 is odd (18 of 37 books)."""
    return hashlib.md5(slug.encode()).digest()[0] % 2 == 1


def books(bench: Path) -> dict[str, Path]:
    """slug -> input file, for every gold file of the bench."""
    out = {}
    for gold in sorted((bench / "gold").glob("*.json")):
        slug = gold.stem
        src = bench / "src" / f"{slug}.txt"
        out[slug] = src if src.is_file() else bench.parent / "corpus" / f"{slug}.txt"
    return out


def _normalize_one(job: tuple[str, str, str]) -> tuple[str, str | None]:
    from .stages import normalize

    slug, src, out = job
    try:
        md, _meta, _report = normalize(Path(src))
    except Exception as exc:  # a book that fails scores 0; the bench reports why
        return slug, f"{type(exc).__name__}: {exc}"
    Path(out, f"{slug}.md").write_text(md, encoding="utf-8")
    return slug, None


def normalize_all(bench: Path, out: Path, jobs: int = 2) -> dict[str, str]:
    """Normalize every bench book into out/<slug>.md; returns {slug: error} for failures."""
    out.mkdir(parents=True, exist_ok=True)
    work = [(slug, str(src), str(out)) for slug, src in books(bench).items()]
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        return {slug: err for slug, err in pool.map(_normalize_one, work) if err}


def score(bench: Path, out: Path, explain: bool = False) -> tuple[dict, str]:
    """Run the bench's score.py over out/; returns (per-book results, its printed table)."""
    result = out / "scores.json"
    cmd = [sys.executable, str(bench / "score.py"), str(out), "--json", str(result)]
    proc = subprocess.run(cmd + (["--explain"] if explain else []), capture_output=True,
                          text=True, check=True)
    data = json.loads(result.read_text())
    return data.get("books", data), proc.stdout


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return sum(vals) / len(vals) if vals else None


def summary(results: dict) -> dict[str, dict[str, float | None]]:
    """Means of every metric over all books, the tuning half and the held-out half."""
    groups = {"all": list(results), "tuning": [s for s in results if not held_out(s)],
              "held-out": [s for s in results if held_out(s)]}
    return {name: {m: _mean([results[s] for s in slugs], m) for m in METRICS} | {
        "books": len(slugs), "min": min((results[s]["score"] for s in slugs), default=None)}
        for name, slugs in groups.items()}


def format_summary(summ: dict) -> str:
    cols = ("books",) + METRICS + ("min",)
    lines = [f"{'':<9}" + "".join(f"{c:>9}" for c in cols)]
    for name, row in summ.items():
        cells = [f"{row[c]:>9}" if c == "books" else
                 f"{'—':>9}" if row[c] is None else f"{row[c]:>9.3f}" for c in cols]
        lines.append(f"{name:<9}" + "".join(cells))
    gap = summ["tuning"]["score"] - summ["held-out"]["score"]
    lines.append(f"in-sample (tuning) OVERALL {summ['tuning']['score']:.3f}, out-of-sample "
                 f"(held-out) OVERALL {summ['held-out']['score']:.3f}, gap {gap:+.3f}")
    return "\n".join(lines)


def format_books(results: dict) -> str:
    lines = [f"{'book':<30}" + "".join(f"{m:>9}" for m in METRICS)]
    for slug, row in results.items():
        lines.append(f"{slug:<30}" + "".join(
            f"{'—':>9}" if row.get(m) is None else f"{row[m]:>9.3f}" for m in METRICS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--out", type=Path, default=Path("build/bench-normalize"))
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--explain", action="store_true", help="score.py's per-book explanation")
    ap.add_argument("--no-normalize", action="store_true", help="score what is in --out")
    ap.add_argument("--show", choices=("tuning", "held-out", "all"), default="all",
                    help="whose per-book rows to print (while tuning: --show tuning, so the "
                         "held-out books are seen only as a mean)")
    a = ap.parse_args(argv)
    if not (a.bench / "score.py").is_file():
        print(f"{a.bench}: no normalizer bench here (score.py missing)", file=sys.stderr)
        return 2
    failed = {} if a.no_normalize else normalize_all(a.bench, a.out, a.jobs)
    for slug, err in failed.items():
        print(f"{slug}: normalize failed: {err}", file=sys.stderr)
    results, table = score(a.bench, a.out, a.explain and a.show == "all")
    if a.show == "all":
        print(table, end="")
    else:
        print(format_books({s: r for s, r in results.items()
                            if held_out(s) == (a.show == "held-out")}))
    print()
    print("held out (never looked at while tuning): "
          + ", ".join(s for s in results if held_out(s)))
    print(format_summary(summary(results)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
