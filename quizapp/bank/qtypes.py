"""The registry of question types: each type validates its key, normalises an answer and grades a response.

Adding 填空 later means one new class registered here, not edits across the code.
Answers and keys are strings of option letters in order ("A", "ABD"); 判断
has the two fixed options 正确 (A) and 错误 (B).
"""
from __future__ import annotations

LETTERS = "ABCDEFGH"
JUDGE_OPTIONS = ["正确", "错误"]


def normalise_letters(value: str) -> str:
    """Upper-case, de-duplicated, sorted option letters from any answer text ("b,a" -> "AB")."""
    letters = {ch for ch in (value or "").upper() if ch in LETTERS}
    return "".join(sorted(letters))


class QuestionType:
    code = ""
    label = ""
    min_options = 2
    max_options = 8

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
    code, label = "single", "单选题"

    def key_problems(self, options, key):
        problems = super().key_problems(options, key)
        if len(key) > 1:
            problems.append("单选题只能有一个答案")
        return problems

    def normalise_response(self, response):
        letters = super().normalise_response(response)
        return letters if len(letters) == 1 else ""


class MultipleChoice(QuestionType):
    code, label = "multiple", "多选题"
    min_options = 3

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


class TrueFalse(QuestionType):
    code, label = "judge", "判断题"
    min_options = max_options = 2

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


REGISTRY: dict[str, QuestionType] = {t.code: t for t in (SingleChoice(), MultipleChoice(), TrueFalse())}
TYPE_LABELS = {code: t.label for code, t in REGISTRY.items()}
SHORT_LABELS = {"single": "单选", "multiple": "多选", "judge": "判断"}


def get(code: str) -> QuestionType:
    return REGISTRY[code]
