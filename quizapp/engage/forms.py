"""Forms of the 以案释法 cases and the 知识竞赛. Checks live in the services, with Chinese messages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField

from .contest import SECONDS_CHOICES


class CaseForm(FlaskForm):
    title = StringField("标题")
    laws = StringField("涉及法律法规", description="如：《中华人民共和国草原法》（2021年4月29日修正）；多部以“;”分隔")
    tags = StringField("标签", description="以“;”分隔，如：草场;人民调解")
    facts = TextAreaField("案情")
    issue = TextAreaField("问题")
    analysis = TextAreaField("分析", description="可用法条链接：[第十六条](law:中华人民共和国草原法@2021-04-29#第十六条)")
    basis = TextAreaField("法律依据", description="每条一行，须含法条链接，并用自己的话概括条文")
    question_ids = StringField("案例分析题编号", description="题库中题目的编号，以空格或逗号分隔；可留空")
    submit = SubmitField("保存")


class ContestForm(FlaskForm):
    title = StringField("竞赛名称")
    bank_id = SelectField("题库", choices=[], validate_choice=False)
    count = SelectField("题数", choices=[(str(n), f"{n} 道") for n in (5, 10, 15, 20, 30)], default="20",
                        validate_choice=False)
    seconds = SelectField("每题限时", choices=[(str(n), f"{n} 秒") for n in SECONDS_CHOICES], default="20",
                          validate_choice=False)
    submit = SubmitField("创建竞赛")


class JoinForm(FlaskForm):
    code = StringField("竞赛码", description="大屏幕上的 6 位数字")
    submit = SubmitField("加入竞赛")


class StepForm(FlaskForm):
    """下一题 / 提前结束本题 / 结束竞赛: ``expected`` is the question the organiser saw, so a double click acts once."""

    expected = HiddenField()
