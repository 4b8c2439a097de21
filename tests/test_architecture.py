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
