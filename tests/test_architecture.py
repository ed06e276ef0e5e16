"""The shape of the package, read from its source: no import loops, no UI library below the
front-ends, no module over 300 lines.

Imports are read with ``ast``, wherever they stand: an import inside a function counts (it
runs when the function does); one under ``if TYPE_CHECKING:`` does not (it never runs).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "playground"
UI_LIBRARIES = {"textual", "rich", "prompt_toolkit", "pygments"}
#: The engine, the application layer and the data modules: none may reach a UI library.
HEADLESS = ("playground.engine", "playground.runtime", "playground.sessions", "playground.params",
            "playground.presets", "playground.config", "playground.locations", "playground.atomic",
            "playground.errors", "playground.names", "playground.user_files", "playground.server")
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` bodies."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                skipped.update(id(inner) for inner in ast.walk(statement))
    return skipped


@cache
def imported_names(module: str) -> frozenset[str]:
    """Every module name the module imports when it runs (and, for ``from x import y``, x.y)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(names)


def internal_edges(module: str) -> set[str]:
    """The playground modules this one makes Python run: each one imported and its packages."""
    edges: set[str] = set()
    for name in imported_names(module):
        parts = name.split(".")
        edges.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in MODULES)
    edges.discard(module)
    return edges


def find_cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(internal_edges(module)):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(MODULES):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def reachable(module: str) -> set[str]:
    seen, todo = {module}, [module]
    while todo:
        for target in internal_edges(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_reader_sees_imports_where_they_run():
    assert "playground.tui.launch" in internal_edges("playground.cli")  # imported inside a function
    assert "playground.tui.app" not in internal_edges("playground.tui.generation_control")  # TYPE_CHECKING
    assert "playground.runtime.running" in internal_edges("playground.runtime.keeper")
    assert "playground.engine" in internal_edges("playground.engine.engine")  # its package runs first


def test_no_import_loops_in_playground():
    cycle = find_cycle()
    assert cycle is None, "import loop: " + " -> ".join(cycle or [])


def test_the_engine_the_application_layer_and_the_data_modules_reach_no_ui_library():
    headless = [m for m in MODULES if m.startswith(HEADLESS)]
    assert {"playground.engine.engine", "playground.runtime.keeper", "playground.params",
            "playground.sessions.store", "playground.user_files"} <= set(headless)
    for module in headless:
        for reached in reachable(module):
            ui = {name for name in imported_names(reached) if name.split(".")[0] in UI_LIBRARIES}
            assert not ui, f"{module} reaches {reached}, which imports {sorted(ui)}"


def test_the_server_client_reaches_no_torch():
    """--server starts at once: nothing the server client imports, even inside a function, loads torch."""
    server = [m for m in MODULES if m.startswith("playground.server")]
    assert "playground.server.engine" in server
    for module in server:
        for reached in reachable(module):
            heavy = {n for n in imported_names(reached) if n.split(".")[0] in ("torch", "transformers")}
            assert not heavy, f"{module} reaches {reached}, which imports {sorted(heavy)}"


def test_no_module_is_over_300_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by concern: {long}"


def test_loading_a_model_is_told_where_the_demo_lives_rather_than_reading_the_apps_paths():
    loading = [f"playground.engine.{name}" for name in ("loading", "hub", "checkpoint", "memory", "placement", "demo")]
    for module in loading:
        assert "playground.locations" not in reachable(module), f"{module} reaches the app's XDG paths"
    assert "playground.locations" in internal_edges("playground.runtime.opening")  # the caller passes them
