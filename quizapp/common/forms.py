"""Forms every domain uses."""
from flask_wtf import FlaskForm
from wtforms import SubmitField


class ButtonForm(FlaskForm):
    """An empty form for bare POST buttons, so every POST carries a CSRF token."""

    submit = SubmitField("确定")
