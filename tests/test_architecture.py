"""The folders of `analysis/` are its architecture: each layer imports only the layers below it.

    config < study < stats < synthetic | report < book < __main__

Read from the source (every import statement, also those inside functions), so a new module or a
stray import that crosses a layer the wrong way, or closes a cycle, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"

#: layer -> the layers it may import (besides itself).
ALLOWED = {
    "config": set(),
    "study": {"config"},
    "stats": {"config", "study"},
    "synthetic": {"config", "study", "stats"},
    "report": {"config", "study", "stats"},
    "book": {"config", "study", "stats", "report"},
    "__main__": {"config", "study", "stats", "synthetic", "report", "book"},
    "__init__": set(),
}


def module_name(path: Path) -> str:
    """`analysis/stats/cox.py` -> `analysis.stats.cox`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Every module of ours that `source` imports (relative imports resolved, names that are
    submodules counted as those submodules)."""
    found: set[str] = set()
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "analysis")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "analysis":
                continue
            submodules = {f"{target}.{a.name}" for a in node.names} & known
            found.update(submodules or {target})
    return found & known if known else found


def layer(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
            - {name} for name, path in modules.items()}


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted(m for m in all_modules() if layer(m) not in ALLOWED)
    assert not unknown, f"modules outside the layers {sorted(ALLOWED)}: {unknown}"


def test_each_layer_imports_only_the_layers_below_it():
    wrong = sorted(f"{module} imports {target}"
                   for module, targets in import_graph().items() for target in targets
                   if layer(target) != layer(module) and layer(target) not in ALLOWED[layer(module)])
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle found by a depth-first walk, as the list of modules around it."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycle():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("package", ["study", "stats", "synthetic", "report", "book"])
def test_each_layer_says_what_lives_there(package: str):
    docstring = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring, f"analysis/{package}/__init__.py needs a docstring saying what lives there"
    assert len(docstring.split("\n\n")[0].splitlines()) <= 2, "two lines, not an essay"


def test_the_checks_see_a_wrong_import_and_a_cycle():
    """The extraction finds relative, absolute and in-function imports; a cycle is reported."""
    known = {"analysis.study.schema", "analysis.report.figures", "analysis.report", "analysis.stats.cox"}
    source = ("from ..report import figures\n"
              "def f():\n    from analysis.stats.cox import cox_model\n"
              "import analysis.report\n")
    found = imported_modules(source, "analysis.study.schema", False, known)
    assert found == {"analysis.report.figures", "analysis.stats.cox", "analysis.report"}
    assert "report" not in ALLOWED["study"] and "stats" not in ALLOWED["study"]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
