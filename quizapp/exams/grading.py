"""The hard rules of an exam as small pure functions: deadlines, shuffling, grading, bands, item statistics."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..bank.qtypes import LETTERS, REGISTRY

UPPER_LOWER_SHARE = 0.27


def deadline_for(started: datetime, limit_minutes: int, close_at: datetime, extra_minutes: int = 0) -> datetime:
    """min(start + limit (+ extra), close): a sitting never runs past the window."""
    return min(started + timedelta(minutes=limit_minutes + (extra_minutes or 0)), close_at)


def accepts_saves(now: datetime, deadline: datetime, grace_seconds: float) -> bool:
    """Saves are taken up to the deadline plus a short grace for network lag."""
    return now <= deadline + timedelta(seconds=grace_seconds)


def shuffle_options(options: list[str], key: str, rng, *, shuffle: bool):
    """(displayed options, option map, key in displayed letters).

    The option map is a string whose i-th letter is the bank letter shown at
    displayed position i ("CAB": displayed A is bank C), so statistics and
    regrades can always return to the bank's letters.
    """
    order = list(range(len(options)))
    if shuffle:
        rng.shuffle(order)
    displayed = [options[i] for i in order]
    option_map = "".join(LETTERS[i] for i in order)
    shown_key = "".join(sorted(LETTERS[option_map.index(letter)] for letter in key if letter in option_map))
    return displayed, option_map, shown_key


def to_bank_letters(response: str, option_map: str) -> str:
    """A response in displayed letters, rewritten in the bank's letters."""
    return "".join(sorted(option_map[LETTERS.index(ch)] for ch in response or ""
                          if ch in LETTERS and LETTERS.index(ch) < len(option_map)))


def to_displayed_letters(bank_key: str, option_map: str) -> str:
    """A key in the bank's letters, rewritten in displayed letters (for a regrade after a key correction)."""
    return "".join(sorted(LETTERS[option_map.index(ch)] for ch in bank_key or "" if ch in option_map))


def grade_item(qtype: str, key: str, response: str, points: float, *, partial: bool) -> tuple[float, bool]:
    """(points earned, fully correct) for one answer, by the question type's own rule."""
    kind = REGISTRY[qtype]
    response = kind.normalise_response(response)
    earned = kind.grade(key, response, points, partial=partial)
    return earned, bool(response) and response == key


def band_for(score: float, bands, pass_mark: float) -> str:
    """The band label for a score: the highest band reached, else 不合格 (or 合格 when passing without a band)."""
    for label, low in sorted(((str(b[0]), float(b[1])) for b in bands or []), key=lambda b: -b[1]):
        if score >= low:
            return label
    return "合格" if score >= pass_mark else "不合格"


def is_implausibly_fast(time_used: int | None, item_count: int, answered: int, seconds_per_question: float) -> bool:
    """Flag a sitting that answered questions faster than anyone can read them (information for organisers)."""
    if time_used is None or answered == 0 or item_count == 0:
        return False
    return time_used < item_count * seconds_per_question


def group_size(n: int) -> int:
    """People in each of the upper and lower groups (27% of the sitters, at least one)."""
    return max(1, math.ceil(n * UPPER_LOWER_SHARE)) if n else 0


def discrimination_index(upper_correct: int, upper_n: int, lower_correct: int, lower_n: int) -> float | None:
    """D = p(upper) - p(lower); None without both groups. Below 0.2 suggests a question to review."""
    if not upper_n or not lower_n:
        return None
    return round(upper_correct / upper_n - lower_correct / lower_n, 2)


def format_duration(seconds: int | None) -> str:
    """"12分05秒" for tables; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分"
    return f"{minutes}分{secs:02d}秒"


def format_score(value: float | None) -> str:
    """Scores without a useless ".0" (88, 88.5)."""
    if value is None:
        return ""
    return f"{value:g}" if value == round(value, 1) else f"{value:.2f}"
