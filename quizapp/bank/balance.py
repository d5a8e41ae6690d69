"""Key balance of a bank: where the key letters fall, where 多选's wrong options sit, whether the longest option
gives the key away; and a deterministic rebalancing of option order.

Pure functions over the importer's question values (qtype, options, answer).
A cadre practising a bank in its own order must not be able to learn "D is
rarely right" or "the longest option wins" (issue 13). ``rebalance`` only
reorders options (rewriting the key), so nothing a question says changes; a
question whose options point at each other by position ("以上都对", "A和B")
is left alone.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .qtypes import LETTERS, REGISTRY
from .rows import COLUMNS, parse_record

# Bounds the audit holds each shipped bank to (docs/content-format.md, "Balanced keys").
LETTER_SHARE = (0.20, 0.30)  # each key letter of 4-option 单选
LONGEST_IS_KEY_MAX = 0.35  # the unique longest option is the key, share of all 单选 (issue 13's bound)
# Each position's share of 多选/不定项 wrong options, as a multiple of the even share 1/n.
WRONG_SPREAD = (0.5, 1.5)
# Below this many questions a figure says little; it is reported but not held to the bound.
MIN_SAMPLE = 12

_POSITIONAL = re.compile(r"^(以上|上述|前述|前面)|(以上|上述)(都|均|各项|选项|说法|答案|几项|[两三四五]项|皆)"
                         r"|[A-H]\s*[、和与及,，]\s*[A-H]|[A-H]项|(都|均)(不对|不正确|正确|对)$|全部(正确|错误)$")


def positional(options) -> bool:
    """True when an option refers to other options by position ("以上都对", "A和B"), so order matters."""
    return any(_POSITIONAL.search(text or "") for text in options)


def unique_longest(options) -> int | None:
    """Index of the option strictly longer than every other, or None."""
    lengths = [len(text) for text in options]
    if not lengths:
        return None
    top = max(lengths)
    return lengths.index(top) if lengths.count(top) == 1 else None


@dataclass
class BankBalance:
    """The balance figures of one bank, with the problems found (empty when within bounds)."""

    name: str
    single4: int = 0
    key_letters: dict = field(default_factory=dict)  # letter -> share of 4-option 单选
    singles: int = 0
    longest_is_key: float = 0.0
    wrong_positions: dict = field(default_factory=dict)  # option count -> {letter: share of wrong options}
    several: dict = field(default_factory=dict)  # option count -> questions
    problems: list = field(default_factory=list)

    def as_dict(self):
        return {"bank": self.name, "single_4_options": self.single4, "key_letters": self.key_letters,
                "single": self.singles, "longest_is_key": self.longest_is_key,
                "wrong_positions": {str(k): v for k, v in self.wrong_positions.items()},
                "several": {str(k): v for k, v in self.several.items()}, "problems": self.problems}


def within(count: int, total: int, low: float, high: float) -> bool:
    """``count`` of ``total`` lies within [low, high] as closely as whole questions allow (13 单选 cannot split
    into 20–30 % per letter exactly: 4 of 13 passes)."""
    return math.floor(low * total) <= count <= math.ceil(high * total)


def measure(name: str, questions) -> BankBalance:
    """The figures of one bank (or of all banks together) from question values (qtype, options, answer)."""
    result = BankBalance(name)
    letters, longest_hits, with_longest = Counter(), 0, 0
    wrong: dict[int, Counter] = {}
    for q in questions:
        options, key, kind = list(q["options"] or []), q["answer"], REGISTRY[q["qtype"]]
        if kind.balance == "letters":
            result.singles += 1
            longest = unique_longest(options)
            if longest is not None:
                with_longest += 1
                longest_hits += LETTERS[longest] == key
            if len(options) == 4:
                result.single4 += 1
                letters[key] += 1
        elif kind.balance == "wrong_positions":
            n = len(options)
            result.several[n] = result.several.get(n, 0) + 1
            counter = wrong.setdefault(n, Counter())
            counter.update(LETTERS[i] for i in range(n) if LETTERS[i] not in key)
    if result.single4:
        result.key_letters = {ch: round(letters[ch] / result.single4, 3) for ch in "ABCD"}
        if result.single4 >= MIN_SAMPLE:
            low, high = LETTER_SHARE
            for ch, share in result.key_letters.items():
                if not within(letters[ch], result.single4, low, high):
                    result.problems.append(f"4 选项单选题答案为 {ch} 的占 {share:.0%}（应在 {low:.0%}—{high:.0%}）")
    # How often a unique longest option is the key: reported over the 单选 that have one, bounded (issue 13:
    # "the unique longest option the key in ≤ 35 % of 单选") over all 单选 of the bank.
    if with_longest:
        result.longest_is_key = round(longest_hits / with_longest, 3)
        share = longest_hits / result.singles
        if result.singles >= MIN_SAMPLE and not within(longest_hits, result.singles, 0, LONGEST_IS_KEY_MAX):
            result.problems.append(f"单选题中唯一最长选项恰为答案的占 {share:.0%}（应不超过 {LONGEST_IS_KEY_MAX:.0%}；"
                                   f"在有唯一最长选项的单选题中占 {result.longest_is_key:.0%}）")
    for n, counter in sorted(wrong.items()):
        total = sum(counter.values())
        result.wrong_positions[n] = {LETTERS[i]: round(counter[LETTERS[i]] / total, 3) if total else 0.0
                                     for i in range(n)}
        if result.several[n] >= MIN_SAMPLE and total:
            low, high = (bound / n for bound in WRONG_SPREAD)
            for letter, share in result.wrong_positions[n].items():
                if not within(counter[letter], total, low, high):
                    result.problems.append(f"{n} 选项多选/不定项题的错误选项在 {letter} 位的占 {share:.0%}"
                                           f"（应在 {low:.0%}—{high:.0%}）")
    return result


# ---------------------------------------------------------------- rebalancing

def _digest(*parts) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def rebalance(questions) -> list[tuple[list[str], str] | None]:
    """New (options, key) for each question of one bank, or None where it stays as it is.

    Deterministic and idempotent: the result depends on the questions' text,
    not on their current option order, so running it again changes nothing.
    单选 keys go round the letters in a fixed order of the questions (by a hash
    of stem and options); for 多选/不定项 each question's wrong options take
    the positions least used so far. Other options are ordered by a hash.
    """
    results: list = [None] * len(questions)
    order = sorted(range(len(questions)),
                   key=lambda i: _digest(questions[i]["stem"], *sorted(questions[i]["options"] or [])))
    key_use: dict[int, Counter] = {}
    wrong_use: dict[int, Counter] = {}
    for i in order:
        q = questions[i]
        options, key = list(q["options"] or []), q["answer"]
        kind = REGISTRY[q["qtype"]]
        if not kind.shuffles_options or len(options) < 2 or positional(options) or q.get("case_id"):
            continue
        n = len(options)
        right = [options[LETTERS.index(ch)] for ch in key]
        wrong = [text for text in options if text not in right]
        rank = lambda text: _digest(q["stem"], text)  # noqa: E731
        right.sort(key=rank)
        wrong.sort(key=rank)
        if kind.balance == "letters":
            use = key_use.setdefault(n, Counter())
            slots = sorted(range(n), key=lambda p: (use[p], _digest(q["stem"], str(p))))[:1]
            use.update(slots)
            key_slots, fill = slots, wrong
            placed = [None] * n
            for p in key_slots:
                placed[p] = right[0]
        else:
            use = wrong_use.setdefault(n, Counter())
            slots = sorted(range(n), key=lambda p: (use[p], _digest(q["stem"], str(p))))[:len(wrong)]
            use.update(slots)
            placed = [None] * n
            for p, text in zip(sorted(slots), wrong):
                placed[p] = text
            fill = right
        rest = iter(fill)
        placed = [text if text is not None else next(rest) for text in placed]
        new_key = "".join(sorted(LETTERS[p] for p, text in enumerate(placed) if text in right))
        if placed != options or new_key != key:
            results[i] = (placed, new_key)
    return results


def rebalance_file(path: Path, *, write: bool = True) -> int:
    """Rebalance one shipped CSV in place (its layout: docs/content-format.md); returns how many rows changed.

    Rows the importer would reject are left as they are; only option cells and the key cell are rewritten.
    """
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    keys = {name: i for i, name in enumerate(header)}
    names = dict(zip(COLUMNS, ["qtype", "stem", *[f"opt_{ch}" for ch in LETTERS], "answer", "explanation",
                               "difficulty", "category", "law", "article", "version", "tags", "case_id",
                               "case_text", "variant_group"]))
    parsed, where = [], []
    for number, row in enumerate(body):
        record = {names[name]: row[i] for name, i in keys.items() if name in names and i < len(row)}
        values, _ = parse_record(record)
        if values is not None:
            parsed.append(values)
            where.append(number)
    changed = 0
    for number, values, result in zip(where, parsed, rebalance(parsed)):
        if result is None:
            continue
        options, key = result
        row = body[number]
        for i, letter in enumerate(LETTERS):
            row[keys[f"选项{letter}"]] = options[i] if i < len(options) else ""
        row[keys["答案"]] = REGISTRY[values["qtype"]].key_text(key)
        changed += 1
    if write and changed:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows([header, *body])
        path.write_text(out.getvalue(), encoding="utf-8")
    return changed
