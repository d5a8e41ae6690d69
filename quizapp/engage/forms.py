"""The organiser's 以案释法 case form. Checks live in the service (engage.cases.case_problems), in Chinese."""
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField


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
