"""Runs an operation's Python main inside its run directory.

Invoked as ``python -um guildlike.op_main MODULE [ARGS...] -- [FLAG ARGS...]``.
With ``GUILDLIKE_FLAGS_DEST=globals`` the flag values (JSON in
``GUILDLIKE_FLAGS``) replace the module's top-level assignments of the same
names before it runs; otherwise the flag arguments are passed on in
``sys.argv``. Kept to the standard library so that a run starts fast.
"""

from __future__ import annotations

import ast
import json
import os
import runpy
import sys
from types import TracebackType
from typing import Any


def _split_argv(argv: list[str]) -> tuple[str, list[str], list[str]]:
    if not argv:
        sys.stderr.write("guildlike.op_main: missing module\n")
        raise SystemExit(2)
    module, rest = argv[0], argv[1:]
    if "--" in rest:
        i = rest.index("--")
        return module, rest[:i], rest[i + 1 :]
    return module, rest, []


def _find_source(module: str) -> str:
    if module.endswith(".py"):
        return os.path.abspath(module)
    for base in sys.path:
        cand = os.path.join(base or ".", *module.split(".")) + ".py"
        if os.path.isfile(cand):
            return os.path.abspath(cand)
        cand = os.path.join(base or ".", *module.split("."), "__main__.py")
        if os.path.isfile(cand):
            return os.path.abspath(cand)
    sys.stderr.write(f"guildlike: cannot find module {module}\n")
    raise SystemExit(1)


def _literal(val: Any) -> ast.expr:
    """``val`` as an expression node; floats such as inf and nan stay floats
    (their repr is no Python literal)."""
    if isinstance(val, list):
        return ast.List(elts=[_literal(v) for v in val], ctx=ast.Load())
    if isinstance(val, dict):
        return ast.Dict(keys=[_literal(k) for k in val], values=[_literal(v) for v in val.values()])
    return ast.Constant(value=val)


class _SetFlags(ast.NodeTransformer):
    def __init__(self, flags: dict[str, Any]) -> None:
        self.flags = flags

    def _const(self, name: str) -> ast.expr:
        return _literal(self.flags[name])

    def visit_Module(self, node: ast.Module) -> ast.Module:
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name) and target.id in self.flags:
                    stmt.value = self._const(target.id)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                if isinstance(stmt.target, ast.Name) and stmt.target.id in self.flags:
                    stmt.value = self._const(stmt.target.id)
        return node


def _run_with_globals(path: str, args: list[str], flags: dict[str, Any]) -> None:
    with open(path, "rb") as f:
        source = f.read()
    tree = _SetFlags(flags).visit(ast.parse(source, filename=path))
    ast.fix_missing_locations(tree)
    code = compile(tree, path, "exec")
    sys.argv = [path] + args
    sys.path.insert(0, os.path.dirname(path))
    mod_globals = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}
    exec(code, mod_globals)


def main(argv: list[str] | None = None) -> None:
    module, args, flag_args = _split_argv(sys.argv[1:] if argv is None else argv)
    if os.environ.get("GUILDLIKE_FLAGS_DEST") == "globals":
        flags = json.loads(os.environ.get("GUILDLIKE_FLAGS") or "{}")
        _run_with_globals(_find_source(module), args, flags)
        return
    sys.argv = [module] + args + flag_args
    if module.endswith(".py"):
        path = os.path.abspath(module)
        sys.path.insert(0, os.path.dirname(path))
        runpy.run_path(path, run_name="__main__")
    else:
        import importlib.util  # lazy: op_main starts every op process; only a module path needs it

        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            found = None
        if found is None:
            sys.stderr.write(f"guildlike: cannot find module {module}\n")
            raise SystemExit(1)
        runpy.run_module(module, run_name="__main__", alter_sys=True)


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame that is not guildlike's or runpy's."""
    ours = (__file__, runpy.__file__)
    while tb is not None and (tb.tb_frame.f_code.co_filename in ours or tb.tb_frame.f_code.co_filename.startswith("<")):
        tb = tb.tb_next
    return tb


def _main() -> None:
    try:
        main()
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        # As Python shows it, but from the user's own first frame: the
        # frames of op_main and runpy say nothing about the user's error.
        import traceback  # lazy: only when the operation raises

        sys.stdout.flush()
        traceback.print_exception(type(e), e, _user_frames(e.__traceback__))
        sys.stderr.flush()
        raise SystemExit(1) from None


def _run_main() -> None:
    try:
        _main()
    except KeyboardInterrupt:
        # Stopped by Ctrl-C: end as killed by SIGINT (guildlike records the
        # run as terminated), without a traceback through this module.
        import signal  # lazy: op_main starts every op process; only this path needs it

        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    _run_main()
