"""The registry of question types: each type validates its key, normalises an answer and grades a response.

Adding 填空 later means one new class registered here, not edits across the code.
Answers and keys are strings of option letters in order ("A", "ABD"); 判断
has the two fixed options 正确 (A) and 错误 (B).
"""
from __future__ import annotations

import random
import re
import unicodedata

LETTERS = "ABCDEFGH"
JUDGE_OPTIONS = ["正确", "错误"]
# The documented spellings of true and false (compared after NFKC and lower-casing; docs/content-format.md).
# Not "A"/"B" (option letters: they mean 正确/错误 only where the row's own options say so) nor a Latin
# "X"/"V" (lookalikes of ×/√ that a typist may have meant either way): those are row errors, never a guess.
TRUE_WORDS = {"正确", "对", "是", "√", "✓", "✔", "t", "y", "true", "yes", "对的", "正确的"}
FALSE_WORDS = {"错误", "错", "否", "×", "✗", "✘", "f", "n", "false", "no", "错的", "错误的", "不正确"}
_KEY_SEPARATORS = re.compile(r"[\s,，、;；/|.．。]+")


def fold(text: str) -> str:
    """NFKC (full-width to half-width), trimmed and lower-cased: how answer and type cells are compared."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def parse_letters(text: str) -> str | None:
    """Option letters from an answer cell ("A,B,D", "a、b", "ＡＢＤ"), sorted; None when it is not letters."""
    compact = _KEY_SEPARATORS.sub("", fold(text)).upper()
    if not compact or any(ch not in LETTERS for ch in compact):
        return None
    return "".join(sorted(set(compact)))


def truth_value(text: str) -> bool | None:
    """True/False for the spellings of 正确/错误, None when unrecognisable."""
    word = fold(text).rstrip("。.")
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def normalise_letters(value: str) -> str:
    """Upper-case, de-duplicated, sorted option letters from any answer text ("b,a" -> "AB")."""
    letters = {ch for ch in (value or "").upper() if ch in LETTERS}
    return "".join(sorted(letters))


# ---------------------------------------------------------------- shown order of options

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


def shown_order(question_type, options: list[str], key: str, seed: str):
    """shuffle_options with a seeded order: the same (session, position) always shows the same order."""
    return shuffle_options(options, key, random.Random(seed), shuffle=question_type.shuffles_options)


class QuestionType:
    code = ""
    label = ""
    short_label = ""
    # How files name the type (compared after fold()), besides label and short_label.
    aliases: tuple[str, ...] = ()
    min_options = 2
    max_options = 8
    has_fixed_options = False
    # The answer is a set of options (checkboxes), not one (radio buttons).
    several = False
    # Exams and practice may show the options in another order (判断's 正确/错误 stay put).
    shuffles_options = True
    # May be a sub-question of a 案例分析 group (docs/content-format.md).
    in_case_groups = True
    # What the bank's balance figures look at: "letters" (key-letter spread), "wrong_positions" or "".
    balance = ""
    # How the rules of a paper and the attempt page explain scoring; empty when nothing needs saying.
    scoring_note = ""
    # What a key looks like, for the placeholder of a key box ("如 B").
    key_example = "如 B"

    @property
    def fragment(self) -> str:
        """The template fragment that renders this type's answer controls."""
        return f"_qtypes/{self.code}.html"

    def prepare_options(self, options: list[str]) -> tuple[list[str], list[str]]:
        """The options to store for what the file filled in, and problems with them."""
        return list(options), []

    def parse_key(self, text: str, options: list[str]) -> str | None:
        """The key as stored ("B", "ABD") from an answer cell, or None when unrecognisable."""
        return parse_letters(text)

    def key_hint(self) -> str:
        return "应填选项字母，如 B"

    def key_text(self, key: str) -> str:
        """The key as the import layout writes it (export writes this, import reads it back)."""
        return key

    def answer_label(self, key: str, options: list[str]) -> str:
        """The key for people: "B" or "正确"."""
        return key

    def key_problems(self, options: list[str], key: str) -> list[str]:
        """Chinese messages for everything wrong with this key for these options."""
        problems = []
        if len(options) < self.min_options:
            problems.append(f"{self.label}至少需要 {self.min_options} 个选项")
        if len(options) > self.max_options:
            problems.append(f"{self.label}最多 {self.max_options} 个选项")
        if not key:
            problems.append("缺少答案")
        outside = [ch for ch in key if ch not in LETTERS[: len(options)]]
        if outside:
            problems.append(f"答案 {''.join(outside)} 不在已填写的选项中")
        return problems

    def normalise_response(self, response) -> str:
        if isinstance(response, (list, tuple)):
            response = "".join(str(r) for r in response)
        return normalise_letters(str(response or ""))

    def grade(self, key: str, response: str, points: float, *, partial: bool = False) -> float:
        """Points earned for ``response`` against ``key``."""
        return float(points) if response and response == key else 0.0


class SingleChoice(QuestionType):
    code, label, short_label = "single", "单选题", "单选"
    aliases = ("单项选择", "单项选择题", "单择题", "单选择题", "single")
    balance = "letters"

    def key_problems(self, options, key):
        problems = super().key_problems(options, key)
        if len(key) > 1:
            problems.append("单选题只能有一个答案")
        return problems

    def normalise_response(self, response):
        letters = super().normalise_response(response)
        return letters if len(letters) == 1 else ""


class MultipleChoice(QuestionType):
    code, label, short_label = "multiple", "多选题", "多选"
    aliases = ("多项选择", "多项选择题", "多择题", "多选择题", "multiple")
    min_options = 3
    several = True
    balance = "wrong_positions"
    scoring_note = "请选出全部正确选项，少选、多选均不得分。"
    key_example = "如 ABD"

    def key_hint(self):
        return "应填两个或以上的选项字母，如 ABD"

    def key_problems(self, options, key):
        problems = super().key_problems(options, key)
        if key and len(key) < 2:
            problems.append("多选题至少要有两个正确答案")
        return problems

    def grade(self, key, response, points, *, partial=False):
        """All or nothing; with ``partial``, a correct subset earns half (少选得一半分, 错选不得分)."""
        if not response:
            return 0.0
        if response == key:
            return float(points)
        if partial and set(response) < set(key):
            return float(points) / 2
        return 0.0


class Indefinite(QuestionType):
    """不定项: one or more options are correct and the stem does not say how many.

    Scoring (docs/api.md): full marks for exactly the key, half for a correct
    subset (少选), nothing when any wrong option is chosen — whatever the
    exam's 多选 setting, since a cadre cannot know the key has several letters.
    """

    code, label, short_label = "indefinite", "不定项选择题", "不定项"
    aliases = ("不定项选择", "不定项选择题", "不定选择题", "不定项题", "indefinite")
    min_options = 3
    several = True
    balance = "wrong_positions"
    scoring_note = "正确选项可能有一个或多个；全部选对得满分，少选且所选均正确得一半分，选错不得分。"
    key_example = "如 B 或 ACD"

    def key_hint(self):
        return "应填一个或多个选项字母，如 B 或 ACD"

    def grade(self, key, response, points, *, partial=False):
        if not response:
            return 0.0
        if response == key:
            return float(points)
        if set(response) < set(key):
            return float(points) / 2
        return 0.0


class TrueFalse(QuestionType):
    code, label, short_label = "judge", "判断题", "判断"
    aliases = ("是非题", "是非", "对错题", "正误题", "判断正误", "judge", "true/false")
    min_options = max_options = 2
    has_fixed_options = True
    shuffles_options = False
    in_case_groups = False
    key_example = "正确 或 错误"

    def prepare_options(self, options):
        """Nothing filled, or the two truth words in either order (问卷星 writes 对/错): the fixed pair."""
        if not options:
            return list(JUDGE_OPTIONS), []
        values = [truth_value(o) for o in options]
        if len(options) == 2 and set(values) == {True, False}:
            return list(JUDGE_OPTIONS), []
        return list(options), ["判断题的选项固定为“正确”“错误”，选项列可以不填"]

    def parse_key(self, text, options):
        value = truth_value(text)
        letter = fold(text).upper()
        # A/B refer to the file's own options when it filled them (选项A=错, 选项B=对); with no options and a
        # 判断 type stated, A is 正确 and B 错误 as exam systems write them (never used to infer the type).
        if letter in ("A", "B") and len(options) == 2:
            filled = truth_value(options[LETTERS.index(letter)])
            if filled is not None:
                value = filled
        elif letter in ("A", "B") and not options:
            value = letter == "A"
        if value is None:
            return None
        return "A" if value else "B"

    def key_hint(self):
        return "应填“正确”或“错误”（也可写 对/错、√/×、T/F、是/否；A 表示正确、B 表示错误）"

    def key_text(self, key):
        return JUDGE_OPTIONS[0] if key == "A" else JUDGE_OPTIONS[1]

    def answer_label(self, key, options):
        return self.key_text(key)

    def key_problems(self, options, key):
        problems = []
        if list(options) != JUDGE_OPTIONS:
            problems.append("判断题的选项固定为“正确”“错误”")
        if key not in ("A", "B"):
            problems.append("判断题答案应为“正确”或“错误”")
        return problems

    def normalise_response(self, response):
        letters = super().normalise_response(response)
        return letters if letters in ("A", "B") else ""


# Registry order is section order on a paper: 单选, 多选, 不定项, 判断.
REGISTRY: dict[str, QuestionType] = {t.code: t for t in (SingleChoice(), MultipleChoice(), Indefinite(), TrueFalse())}
TYPE_LABELS = {code: t.label for code, t in REGISTRY.items()}
SHORT_LABELS = {code: t.short_label for code, t in REGISTRY.items()}
_BY_NAME = {fold(name): t for t in REGISTRY.values() for name in (t.label, t.short_label, *t.aliases)}


def get(code: str) -> QuestionType:
    return REGISTRY[code]


def from_name(text: str) -> QuestionType | None:
    """The type a file means by "单选", "单项选择题", "是非题", "【判断题】"…; None when unknown."""
    name = re.sub(r"[\s【】\[\]()（）]", "", fold(text))
    return _BY_NAME.get(name)
