"""Helpers for the study tests (importable, unlike conftest): law texts in the official layout, API calls."""
from quizapp.common.lawtext import int_to_cn


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


def start(client, kind, target_id):
    """Open a study page: ask the server to make it the person's active one."""
    return client.post("/api/study/start", json={"kind": kind, "id": target_id})


def beat(client, token, seconds, end=False):
    return client.post("/api/study/beat", json={"token": token, "seconds": seconds, "end": end})
