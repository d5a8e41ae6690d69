"""Study settings: app config first, then the environment, then these defaults.

Kept in the study domain so a deployment can tune the study-time rules
(``STUDY_MINUTES_PER_HOUR=40``) without code changes and tests can set them
in ``app.config``.
"""
import json
import os

from flask import current_app

DEFAULTS = {
    # The page sends a heartbeat this often while visible and in use.
    "STUDY_BEAT_SECONDS": 30,
    # … and pauses after this long without any input.
    "STUDY_IDLE_SECONDS": 180,
    # The most one heartbeat can credit, however long ago the last one was.
    "STUDY_BEAT_CAP_SECONDS": 60,
    # Slack for network delay when a page claims the time it was in use.
    "STUDY_CLOCK_SLACK_SECONDS": 2,
    # Time on one material (or law version) per year never exceeds its length × this factor.
    "STUDY_MAX_FACTOR": 2.0,
    # A material is completed after this share of its estimated minutes, and reaching its end.
    "STUDY_MIN_FRACTION": 0.5,
    # 学时 rule: this many minutes make one 学时.
    "STUDY_MINUTES_PER_HOUR": 45,
    # Reading speed used to estimate a law's length (characters per minute).
    "STUDY_LAW_CHARS_PER_MINUTE": 300,
    # Yearly 学时 targets by 人员类别 when an admin has not set them.
    "STUDY_TARGET_HOURS": {"leading": 40, "general": 40, "village": 20, "legal_aide": 20, "other": 20},
    # A version of a law with more articles than this is read one top-level division at a time.
    "LAW_PAGE_ARTICLES": 200,
    "LAW_UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
    "MATERIAL_PDF_MAX_BYTES": 10 * 1024 * 1024,
    "STUDY_BEAT_RATE_LIMIT": "120 per minute",
}


def setting(name):
    """The value of a study setting, typed like its default."""
    if name in current_app.config:
        return current_app.config[name]
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, dict):
        return json.loads(raw)
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return type(default)(raw)
    return raw
