"""Text from run data made safe to print on a terminal.

Labels, tags, flag values, file names and the like are written by users and
programs: a control character in one (an escape sequence, a carriage return,
a newline) would move the cursor, recolour the terminal or forge a line of a
listing. ``escape_text`` shows each such character as a Python-style escape.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, lone surrogates, line and paragraph
# separators and the bidirectional overrides (which reorder what is shown).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """``text`` with every control character escaped (a newline too): one line,
    safe to print. Printable text, backslashes included, is unchanged, so
    escaping twice is the same as escaping once."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def escape_lines(text: str) -> str:
    """Each line of ``text`` escaped; the newlines between lines are kept."""
    return "\n".join(escape_text(line) for line in text.split("\n"))
