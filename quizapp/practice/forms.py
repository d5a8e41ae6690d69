"""Forms for starting practice, answering, 重做 and the 错题本's buttons.

Choices are checked by the services (with Chinese messages), so the select
fields here do not validate their choices themselves.
"""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired

from ..bank.units import RULE_KINDS
from .services import COUNTS, DEFAULT_COUNT, DEFAULT_REDO_COUNT, REDO_COUNTS


class StartForm(FlaskForm):
    category = SelectField("分类", choices=[("", "全部分类")], validate_choice=False)
    law = SelectField("法律法规", choices=[("", "全部法律法规")], validate_choice=False)
    qtype = SelectField("题型", choices=[("", "全部题型"), *RULE_KINDS.items()], validate_choice=False)
    count = SelectField("题数", choices=[(str(n), f"{n} 道") for n in COUNTS], default=str(DEFAULT_COUNT),
                        validate_choice=False)
    submit = SubmitField("开始练习")


class AnswerForm(FlaskForm):
    """One question's answer: ``response`` holds one letter (radio) or several (checkboxes)."""

    seq = HiddenField()
    response = SelectMultipleField("作答", choices=[], validate_choice=False,
                                   validators=[DataRequired("请选择答案。")])
    submit = SubmitField("提交答案")


class RedoForm(FlaskForm):
    category = HiddenField()
    law = HiddenField()
    source = HiddenField()
    question_id = HiddenField()
    count = SelectField("题数", choices=[(str(n), f"{n} 道") for n in REDO_COUNTS],
                        default=str(DEFAULT_REDO_COUNT), validate_choice=False)
    submit = SubmitField("重做错题")



