"""What a draw takes as one: a stand-alone question or a whole 案例分析 case, and variant groups.

Pure functions shared by exam papers and practice sessions: a draw never
splits a case and takes at most one question of a variant group.
"""
from __future__ import annotations

from typing import NamedTuple

from .qtypes import TYPE_LABELS

# The pseudo-type of a paper rule that draws whole cases; its points are per case, shared by the sub-questions.
CASE = "case"
RULE_KINDS = {**TYPE_LABELS, CASE: "案例分析题"}


class DrawUnit(NamedTuple):
    """One question or one whole case, with the variant groups it belongs to.

    A NamedTuple, not a frozen dataclass: a draw builds one per candidate (a thousand or more per rule)
    at every exam start, and tuples are several times cheaper to make."""

    key: str
    ids: tuple[int, ...]
    groups: frozenset[str]


_NO_GROUPS: frozenset[str] = frozenset()


def group_units(rows) -> list[DrawUnit]:
    """Units from (id, bank_id, case_id, variant_group) rows in id order: one per question, one per case."""
    units: list = []
    cases: dict[str, list] = {}
    for qid, bank_id, case_id, group in rows:
        if case_id:
            key = f"case:{bank_id}:{case_id}"
            members = cases.get(key)
            if members is None:
                members = cases[key] = []
                units.append(key)
            members.append((qid, group))
        else:
            units.append(DrawUnit(f"q:{qid}", (qid,), frozenset((group,)) if group else _NO_GROUPS))
    if not cases:
        return units
    return [DrawUnit(unit, tuple(q for q, _ in cases[unit]), frozenset(g for _, g in cases[unit] if g))
            if isinstance(unit, str) else unit for unit in units]


def distinct_count(units: list[DrawUnit]) -> int:
    """How many units one draw can take at most: units sharing a variant group count once (greedy)."""
    seen_groups: set[str] = set()
    count = 0
    for unit in sorted(units, key=lambda u: len(u.groups)):
        if unit.groups & seen_groups:
            continue
        seen_groups |= unit.groups
        count += 1
    return count


def pick_units(units: list[DrawUnit], count: int, rng, *, seen=frozenset(), taken_units=None,
               taken_groups=None) -> list[DrawUnit]:
    """Up to ``count`` random units, unseen ones first, none already taken and none sharing a variant group
    with one taken. ``taken_units`` and ``taken_groups`` (sets) are updated, so several rules share them."""
    taken_units = set() if taken_units is None else taken_units
    taken_groups = set() if taken_groups is None else taken_groups
    free = [u for u in units if u.key not in taken_units] if taken_units else list(units)
    if seen:
        seen = set(seen)
        fresh = [u for u in free if seen.isdisjoint(u.ids)]
        again = [u for u in free if not seen.isdisjoint(u.ids)]
    else:
        fresh, again = free, []
    rng.shuffle(fresh)
    rng.shuffle(again)
    picked = []
    for unit in fresh + again:
        if len(picked) >= count:
            break
        if unit.groups & taken_groups:
            continue
        picked.append(unit)
        taken_units.add(unit.key)
        taken_groups |= unit.groups
    return picked
