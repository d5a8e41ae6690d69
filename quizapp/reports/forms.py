"""Forms of the reports domain: only the settings change anything (every report page is a GET)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, NumberRange

from .models import CADRE_RANKINGS


class SettingsForm(FlaskForm):
    cadre_rankings = RadioField("干部可以看到的个人排名", choices=list(CADRE_RANKINGS.items()),
                                validators=[DataRequired(message="请选择一种排名显示方式。")])
    submit = SubmitField("保存设置")


class RefreshForm(FlaskForm):
    """“立即更新”: the year whose statistics to rebuild, and the page to return to."""

    year = IntegerField(validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    next = HiddenField()


class ShufaTextForm(FlaskForm):
    """The leader's wording of a 学法情况 paragraph; 恢复 goes back to the generated one."""

    text = TextAreaField("学法情况")
    save = SubmitField("保存修改")
    restore = SubmitField("恢复系统生成")
