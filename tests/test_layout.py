"""The shape of the code, read with ``ast``: what the house rules say, checked.

- no import cycle between guildlike's modules (module-level imports);
- an import inside a function only where it is kept for start-up speed or
  for an optional extra, said on its line as ``# lazy: REASON``;
- no module imports another module's private (``_name``) names;
- only ``guildlike/cli`` imports click;
- p90 of module sizes under 300 lines, no function over 60 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "guildlike"
MAX_FUNCTION_LINES = 60
P90_MODULE_LINES = 300


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


TREES = _trees()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if _is_package(module) else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for each name of an import."""
    if isinstance(node, ast.Import):
        return [(a.name, None) for a in node.names]
    base = _resolve(module, node)
    out: list[tuple[str, str | None]] = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append((sub, None) if sub in MODULES else (base, alias.name))
    return out


def _function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


def _top_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads (not inside a function, not under TYPE_CHECKING)."""
    out: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif isinstance(node, ast.Try):
            out += [n for n in node.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, tree in TREES.items():
        for node in _top_imports(tree):
            for target, _ in _targets(name, node):
                if target in MODULES and target != name:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_function_level_imports_say_why() -> None:
    bad = []
    for name, tree in TREES.items():
        lines = MODULES[name].read_text(encoding="utf-8").splitlines()
        for node in _function_imports(tree):
            if "# lazy:" not in lines[node.lineno - 1]:
                bad.append(f"{MODULES[name].relative_to(PKG.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, "imports inside functions without a '# lazy: REASON' comment:\n" + "\n".join(bad)


def test_no_private_names_across_modules() -> None:
    bad = []
    for name, tree in TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target, imported in _targets(name, node):
                    if target.startswith("guildlike") and imported and imported.startswith("_") and not imported.startswith("__") and target != name:
                        bad.append(f"{name} imports {target}.{imported}")
    assert not bad, "\n".join(bad)


def test_private_attributes_of_other_modules_are_not_used() -> None:
    """``mod._name`` where ``mod`` is an imported guildlike module."""
    bad = []
    for name, tree in TREES.items():
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias, (target, imported) in zip(node.names, _targets(name, node)):
                    if imported is None and target in MODULES:
                        aliases[alias.asname or alias.name.split(".")[-1]] = target
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_only_the_cli_imports_click() -> None:
    bad = []
    for name, tree in TREES.items():
        if name.startswith("guildlike.cli"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if any(t == "click" or t.startswith("click.") for t, _ in _targets(name, node)):
                    bad.append(name)
    assert not bad, f"click imported outside guildlike.cli: {bad}"


def test_module_sizes() -> None:
    sizes = sorted(len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES.values())
    p90 = sizes[int(0.9 * (len(sizes) - 1))]
    assert p90 < P90_MODULE_LINES, f"p90 module size is {p90} lines"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_function_sizes(name: str) -> None:
    long = []
    for node in ast.walk(TREES[name]):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            if n > MAX_FUNCTION_LINES:
                long.append(f"{node.name} ({n} lines, line {node.lineno})")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines in {name}: {long}"


def test_every_exception_class_is_in_errors() -> None:
    """One place for every exception, so each message is written once."""
    bad = []
    for name, tree in TREES.items():
        if name == "guildlike.errors":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception")) or b in ("Interrupted", "Aborted") for b in bases):
                    bad.append(f"{name}.{node.name}({', '.join(bases)})")
    assert not bad, f"exception classes outside guildlike/errors.py: {bad}"
