"""Helpers for the study tests (importable, unlike conftest): a movable clock, law texts, questions, API calls."""
import itertools
from datetime import date, datetime, timedelta, timezone

from quizapp.bank.models import Bank, Question
from quizapp.extensions import db
from quizapp.common.lawtext import int_to_cn

_counter = itertools.count(1)
START = datetime(2026, 5, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


class Clock:
    """A clock the test moves by hand; the app reads it through app.config["CLOCK"]."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


DEFAULT_ARTICLES = {
    1: "为了规范示范工作，制定本法。",
    2: "公民在法律面前一律平等。\n国家尊重和保障人权。",
    3: "乡镇人民政府负责本行政区域内的示范工作。",
    4: "本法自2020年3月1日起施行。",
}


def law_text(title="中华人民共和国示范法", adopted="2020年1月1日", amended=None, articles=None):
    """A small law in the official plain-text layout: title, history, two chapters, articles."""
    articles = articles or DEFAULT_ARTICLES
    history = f"{adopted}第十三届全国人民代表大会常务委员会第一次会议通过"
    if amended:
        history += f"　根据{amended}第十四届全国人民代表大会常务委员会第九次会议《关于修改〈{title}〉的决定》修正"
    lines = [title, "", f"（{history}）", "", "第一章　总则", ""]
    numbers = sorted(articles)
    for index, number in enumerate(numbers):
        if index == len(numbers) - 1 and len(numbers) > 1:
            lines += ["第二章　附则", ""]
        first, *rest = articles[number].split("\n")
        lines += [f"第{int_to_cn(number)}条　{first}", ""]
        for paragraph in rest:
            lines += [paragraph, ""]
    return "\n".join(lines).encode("utf-8")


class QuestionFactory:
    def bank(self, name=None, unit=None):
        bank = Bank(name=name or f"题库{next(_counter)}", unit_id=unit.id if unit else None)
        db.session.add(bank)
        db.session.commit()
        return bank

    def question(self, bank, *, law_name="《中华人民共和国示范法》", law_article="第二条", law_version=date(2020, 1, 1),
                 status="active"):
        n = next(_counter)
        question = Question(bank_id=bank.id, qtype="judge", stem=f"示范题干{n}", options=["正确", "错误"], answer="A",
                            explanation=f"解析{n}", category="法律法规", law_name=law_name, law_article=law_article,
                            law_version=law_version, tags=[], status=status, fingerprint=f"fp-study-{n}")
        db.session.add(question)
        db.session.commit()
        return question


def start(client, kind, target_id):
    """Open a study page: ask the server to make it the person's active one."""
    return client.post("/api/study/start", json={"kind": kind, "id": target_id})


def beat(client, token, seconds, end=False):
    return client.post("/api/study/beat", json={"token": token, "seconds": seconds, "end": end})
