"""The spaced-repetition rule, delegated to FSRS: when a question answered right or wrong comes back.

A daily quiz has no use for FSRS's minute-long learning steps (the cadre sees five questions once a day),
so the one learning and relearning step is a day: a miss (of a new or a well-known question) comes back
the next day, and a correct answer after a few days, the gap growing with each further correct answer. Fuzzing is off so the
same answers always give the same plan (and tests can say when a question returns).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler, State

SCHEDULER = Scheduler(learning_steps=(timedelta(days=1),), relearning_steps=(timedelta(days=1),),
                      enable_fuzzing=False)


@dataclass(frozen=True)
class CardState:
    """A review card as plain values (the ReviewCard columns)."""

    state: int
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reviews: int
    lapses: int


def review(before: CardState | None, correct: bool, when: datetime) -> CardState:
    """The card after one more answer at ``when`` (None: the question's first answer)."""
    if before is None:
        card = Card(card_id=1, due=when)
        reviews = lapses = 0
    else:
        card = Card(card_id=1, state=State(before.state), step=None if before.state == State.Review else 0,
                    stability=before.stability, difficulty=before.difficulty, due=before.due,
                    last_review=before.last_review)
        reviews, lapses = before.reviews, before.lapses
    card, _ = SCHEDULER.review_card(card, Rating.Good if correct else Rating.Again, review_datetime=when)
    lapsed = not correct and before is not None and before.state == State.Review
    return CardState(int(card.state), card.stability, card.difficulty, card.due, card.last_review,
                     reviews + 1, lapses + (1 if lapsed else 0))
