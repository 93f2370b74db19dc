"""Flag values never become code: exec templates and the op's environment.

An ``exec`` template is split into arguments first and flag values are put
into those arguments afterwards, so a value is always one whole argument (or
part of one) and never shell syntax. That is not enough when the program is
an interpreter given its code in an argument (``sh -c SCRIPT``, ``python -c
CODE``): a value put into SCRIPT would be run. Such references are refused,
with the safe form in the message: the flag is read from its environment
variable (each flag is set as ``FLAG_NAME``, or its ``env-name``).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from typing import Any

from ..errors import OpDefError
from ..util.yamlutil import encode_value

REF = re.compile(r"\$\{([^}]+)\}")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FLAG_ARGS = "flag_args"
_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "fish", "csh", "tcsh"}
_WRAPPERS = {"env", "exec", "nice", "nohup", "time", "busybox", "command"}
_PYTHON = re.compile(r"^(python|pypy)[0-9.]*$")


def env_var_name(name: str, env_name: str | None = None) -> str:
    """The environment variable holding a flag's value: its env-name or FLAG_NAME."""
    if env_name:
        return env_name
    return "FLAG_" + re.sub(r"[^A-Z0-9_]", "_", name.upper())


class _Lang:
    def __init__(self, name: str, code: str, values: str = "", long_code: tuple[str, ...] = ()) -> None:
        self.name = name
        self.code = code  # option letters whose code follows
        self.values = values  # option letters that take a value
        self.long_code = long_code


_SHELL = _Lang("shell", "c", "oO")
_LANGS = {
    "perl": _Lang("perl", "eE", "ilIMmx0"),
    "ruby": _Lang("ruby", "e", "IrCEFKTx0"),
    "node": _Lang("node", "ep", "r", ("--eval", "--print")),
    "Rscript": _Lang("Rscript", "e"),
}
_PY = _Lang("python", "c", "WX")


def _lang(prog: str) -> _Lang | None:
    """How ``prog`` takes code on its command line, when it does."""
    if prog in _SHELLS:
        return _SHELL
    if _PYTHON.match(prog):
        return _PY
    return _LANGS.get(prog)


def _program(argv: list[str]) -> int:
    """The index of the program proper, past ``env VAR=1``-like wrappers."""
    i = 0
    while i < len(argv):
        base = os.path.basename(argv[i])
        if base not in _WRAPPERS:
            return i
        i += 1
        while i < len(argv) and (argv[i].startswith("-") or "=" in argv[i]):
            i += 1
    return i


def _cluster(opts: str, lang: _Lang) -> tuple[str, bool]:
    """("code"|"value"|"", attached) for one short option cluster (after ``-``)."""
    for k, ch in enumerate(opts):
        if ch in lang.code:
            return "code", bool(opts[k + 1 :]) and lang is not _SHELL
        if ch in lang.values:
            return "value", bool(opts[k + 1 :])
        if lang is _PY and ch == "m":
            return "end", False
    return "", False


def code_argument(argv: list[str]) -> tuple[int, str, str] | None:
    """(index, program, language) of the argument an interpreter runs as code."""
    p = _program(argv)
    if p >= len(argv):
        return None
    prog = os.path.basename(argv[p])
    lang = _lang(prog)
    if lang is None:
        return None
    script = False  # a shell's -c seen: its script is the first operand
    i = p + 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if arg.startswith("--"):
            if arg.split("=", 1)[0] in lang.long_code:
                return (i, prog, lang.name) if "=" in arg else _at(argv, i + 1, prog, lang)
            i += 2 if arg in ("--rcfile", "--init-file") else 1
            continue
        if arg[:1] not in ("-", "+") or arg in ("-", "+"):
            break
        kind, attached = _cluster(arg[1:], lang) if arg[0] == "-" else _cluster(arg[1:], _Lang("", "", lang.values))
        if kind == "end":
            return None
        if kind == "code" and lang is not _SHELL:
            return (i, prog, lang.name) if attached else _at(argv, i + 1, prog, lang)
        script = script or kind == "code"
        i += 2 if kind == "value" and not attached else 1
    return _at(argv, i, prog, lang) if script else None


def _at(argv: list[str], i: int, prog: str, lang: _Lang) -> tuple[int, str, str] | None:
    return (i, prog, lang.name) if i < len(argv) else None


def _safe_form(lang: str, var: str) -> str:
    return {
        "shell": f'"${var}"',
        "python": f"os.environ['{var}']",
        "perl": f"$ENV{{{var}}}",
        "ruby": f"ENV['{var}']",
        "node": f"process.env.{var}",
        "Rscript": f"Sys.getenv('{var}')",
    }.get(lang, var)


def check_exec(argv: list[str], flags: Iterable[str], env_names: dict[str, str], where: str) -> None:
    """Refuse a flag reference inside code an interpreter would run."""
    found = code_argument(argv)
    if found is None:
        return
    i, prog, lang = found
    names = set(flags)
    for m in REF.finditer(argv[i]):
        ref = m.group(1)
        if ref == FLAG_ARGS:
            raise OpDefError(
                f"exec of {where} puts ${{flag_args}} into {lang} code run by {prog}, where flag values "
                f"would run as code; pass them as arguments after the code instead "
                f"(e.g. {prog} -c 'cmd \"$@\"' {prog} ${{flag_args}})"
            )
        if ref in names:
            var = env_names.get(ref) or env_var_name(ref)
            raise OpDefError(
                f"exec of {where} puts flag '{ref}' into {lang} code run by {prog}, where its value would "
                f"run as code; use {_safe_form(lang, var)} in place of ${{{ref}}} (flags are set as "
                f"environment variables)"
            )


def substitute(argv: list[str], flags: dict[str, Any], fargs: list[str], extra: dict[str, str]) -> list[str]:
    """``argv`` with ``${name}`` references replaced inside each argument.

    An argument that is exactly ``${flag_args}`` becomes the flag arguments;
    an unknown or null reference becomes empty text.
    """
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in extra:
            return extra[name]
        if name == FLAG_ARGS:
            return shlex.join(fargs)
        val = flags.get(name)
        if val is not None:
            return val if isinstance(val, str) else encode_value(val)
        return ""

    out: list[str] = []
    for arg in argv:
        if arg == "${" + FLAG_ARGS + "}":
            out.extend(fargs)
        else:
            out.append(REF.sub(repl, arg))
    return out
