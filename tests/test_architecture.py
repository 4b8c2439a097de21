"""Imports go one way (stages → document → writers → build → CLI) without cycles, and the
README's table of modules names every module there is."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "pipeline"
# Layers, lowest first: a module may import its own layer and the ones before it.
LAYERS = [
    {"pipeline.diagnostics", "pipeline.safety", "pipeline.metadata", "pipeline.fonts",
     "pipeline.cache", "pipeline.pool"},
    {"pipeline.stages"},
    {"pipeline.document", "pipeline.cover"},
    {"pipeline.writers"},
    {"pipeline.build", "pipeline.catalog", "pipeline.check", "pipeline.validate", "pipeline.dist",
     "pipeline.distributed"},
    {"pipeline.__main__", "pipeline.bench", "pipeline.bench_normalize"},
]
# Cycles still to break, inside one layer (each a lazy import in a function).  The test
# fails on any other cycle, and when one of these is gone, so that the list only shrinks.
KNOWN_CYCLES: list[set[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").relative_to(ROOT).parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """{module: pipeline modules it imports}, lazy imports inside functions included."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = (f"{base}.{node.module}" if node.module else base) if node.level \
                    else node.module or ""
                found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def layer(module: str) -> int:
    for n, names in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in names):
            return n
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to the README)")


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_imports_go_one_way():
    graph = import_graph()
    backwards = [f"{a} imports {b}" for a, deps in sorted(graph.items()) for b in sorted(deps)
                 if a != "pipeline" and b != "pipeline" and layer(b) > layer(a)]
    assert backwards == []


def test_no_new_import_cycle():
    found = cycles(import_graph())
    assert [c for c in found if c not in KNOWN_CYCLES] == [], "a new import cycle"
    assert [c for c in KNOWN_CYCLES if c not in found] == [], \
        "a known cycle is gone: remove it from KNOWN_CYCLES"


def test_the_cycle_check_can_fail():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_readme_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(pipeline/[\w/]+\.py|pipeline/[\w/]+/)`", readme))
    modules = [p.relative_to(ROOT).as_posix() for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    modules += [p.relative_to(ROOT).as_posix() for p in (PACKAGE / "writers").glob("*.py")
                if p.name not in ("__init__.py", "base.py")]
    # The stages are named as their folder: they come and go with the normalizer's work.
    missing = [m for m in modules if m not in named and f"{Path(m).parent.as_posix()}/" not in named]
    assert missing == []


# -- writers are pure --------------------------------------------------------------------
# What a writer may not do itself: read the environment, the file system or the clock, or
# call what does (the font cache, SOURCE_DATE_EPOCH).  The build reads them once and passes
# the result in: ``Document.fonts`` (pipeline.fonts.typefaces), ``Document.epoch``,
# ``Document.cover``.
FILE_METHODS = {"read_bytes", "read_text", "write_bytes", "write_text", "iterdir", "glob",
                "rglob", "exists", "is_file", "is_dir", "stat", "mkdir", "unlink", "resolve"}
READERS = {"source_date_epoch", "faces", "script_font", "web_font", "cache_dir", "fingerprint",
           "typefaces", "source_cover"}
CLOCKS = {"now", "today", "utcnow"}
# What is left, each with why it stays: (module, what the scan reports).
ALLOWED_IMPURE = {
    # Package data (stylesheets), read through importlib.resources: part of the code, as
    # an import is; it does not change between builds.
    ("base.py", "read_text"),
    # fontTools stamps the fonts WeasyPrint subsets with the clock unless SOURCE_DATE_EPOCH
    # is set, and reads only the variable (Kozea/WeasyPrint#1553): patches.source_date sets
    # it to the document's date (Document.date) while the PDF is written.  A write, read
    # back only to restore it.
    ("patches.py", "os.environ"),
    # Paces the progress messages of the part layouts (two a second); never in the output.
    ("pdf_parts.py", "time.monotonic"),
}


def impurities(source: str) -> set[str]:
    """What a module's code reads of the environment, the file system or the clock."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in ("environ", "getenv", "environb"):
                found.add(f"os.{node.attr}")
            if node.value.id == "time":
                found.add(f"time.{node.attr}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if isinstance(func, ast.Name) and name in ("open", "Path", "getenv"):
            found.add(name)
        elif isinstance(func, ast.Attribute) and name in FILE_METHODS | CLOCKS:
            found.add(name)
        if name in READERS:
            found.add(name)
    return found


def test_writers_read_no_file_environment_or_clock():
    found = {(path.name, what) for path in sorted((PACKAGE / "writers").glob("*.py"))
             for what in impurities(path.read_text(encoding="utf-8"))}
    assert found - ALLOWED_IMPURE == set(), "a writer reads what the build should pass in"
    assert ALLOWED_IMPURE - found == set(), "an allowed read is gone: remove it from the list"


def test_the_purity_check_can_fail():
    source = """
import os, time, datetime
from pathlib import Path
def write(doc):
    os.environ.get("X"); time.time(); datetime.datetime.now(); open("f")
    Path("x").read_bytes(); fonts.faces(); source_date_epoch()
"""
    assert impurities(source) == {"os.environ", "time.time", "now", "open", "Path",
                                  "read_bytes", "faces", "source_date_epoch"}
    assert impurities("def write(doc):\n    return doc.fonts.faces\n") == set()
