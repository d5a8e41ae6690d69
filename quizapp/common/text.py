"""Checks on user-entered text shared by every domain."""
import re

# C0 and C1 controls (newline, tab, NUL, ESC…) and the Unicode line/paragraph separators: a name, login, unit
# name or title with one of them breaks exports, 述法 sheets and certificates that put it on one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_single_line(text) -> bool:
    """True when ``text`` (a str or None) holds no line break or other control character."""
    return not _CONTROL.search(text or "")


def single_line_message(label: str) -> str:
    return f"{label}不能包含换行、制表符等控制字符。"
