"""Forms for exam setup, overrides, regrades, starting, the no-JavaScript answer pages and submitting."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateTimeLocalField, FloatField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.models import CATEGORIES, RANKS
from ..bank.models import DIFFICULTIES
from ..bank.qtypes import LETTERS, REGISTRY
from ..bank.units import CASE, RULE_KINDS
from .models import COUNTING, KINDS, MULTI_SCORING, PAPER_MODES, REVIEW_POLICIES
from .setting_rules import DESCRIPTION_MAX, TITLE_MAX

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExamForm(FlaskForm):
    """Exam settings. The form only coerces types; every rule (required fields included) is a row of
    setting_rules.RULES, checked by the setup service, so the page shows the service's messages, all at once."""

    title = StringField("考试名称", render_kw={"placeholder": "例如：2026年11月学法考试", "maxlength": TITLE_MAX})
    kind = SelectField("考试类型", choices=list(KINDS.items()), default="monthly", validate_choice=False)
    period = StringField("考试期次", render_kw={"placeholder": "2026-11", "maxlength": 7})
    unit_id = SelectField("组织单位", coerce=int, validate_choice=False)
    audience_ids = CheckboxListField("参考单位（含下级单位）", coerce=int, validate_choice=False)
    categories = CheckboxListField("只限以下人员类别（不选则不限）", choices=list(CATEGORIES.items()), validate_choice=False)
    audience_shufa_only = BooleanField("只限述法对象")
    description = TextAreaField("考试说明", render_kw={"maxlength": DESCRIPTION_MAX})
    open_at = DateTimeLocalField("开始时间", format=DATETIME_FORMAT, validators=[Optional()])
    close_at = DateTimeLocalField("截止时间", format=DATETIME_FORMAT, validators=[Optional()])
    time_limit = IntegerField("考试时长（分钟）", default=60, validators=[Optional()])
    required = BooleanField("必考（计入年度完成情况和合格证书）", default=True)
    full_marks = FloatField("满分", default=100, validators=[Optional()])
    pass_mark = FloatField("及格线", default=60, validators=[Optional()])
    bands = StringField("等次划分", default="优秀 90；良好 80；合格 60")
    multi_scoring = RadioField("多选题计分", choices=list(MULTI_SCORING.items()), default="all", validate_choice=False)
    attempts_allowed = IntegerField("允许考试次数", default=1, validators=[Optional()])
    counting = RadioField("多次考试时成绩取", choices=list(COUNTING.items()), default="best", validate_choice=False)
    unseen_first = BooleanField("再次考试时优先抽取未做过的题目", default=True)
    makeup_enabled = BooleanField("安排补考（未合格人员）")
    makeup_open_at = DateTimeLocalField("补考开始时间", format=DATETIME_FORMAT, validators=[Optional()])
    makeup_close_at = DateTimeLocalField("补考截止时间", format=DATETIME_FORMAT, validators=[Optional()])
    makeup_attempts = IntegerField("补考次数", default=1, validators=[Optional()])
    shuffle_questions = BooleanField("每人题目顺序随机", default=True)
    shuffle_options = BooleanField("每人选项顺序随机（判断题除外）", default=True)
    review_policy = RadioField("查看答案和解析", choices=list(REVIEW_POLICIES.items()), default="after_close",
                               validate_choice=False)
    submit = SubmitField("保存")


class LockedExamForm(FlaskForm):
    """What may still change once someone has started (checked, like ExamForm, by the rules table)."""

    close_at = DateTimeLocalField("截止时间", format=DATETIME_FORMAT, validators=[Optional()])
    makeup_close_at = DateTimeLocalField("补考截止时间", format=DATETIME_FORMAT, validators=[Optional()])
    description = TextAreaField("考试说明", render_kw={"maxlength": DESCRIPTION_MAX})
    submit = SubmitField("保存")


class VariantForm(FlaskForm):
    name = StringField("试卷名称", default="通用试卷", validators=[DataRequired("请填写试卷名称。"), Length(max=50)])
    mode = RadioField("组卷方式", choices=list(PAPER_MODES.items()), default="blueprint")
    match_categories = CheckboxListField("适用人员类别", choices=list(CATEGORIES.items()))
    match_ranks = CheckboxListField("适用职级", choices=list(RANKS.items()))
    submit = SubmitField("保存试卷设置")


# One points field per registered type ("points_single" …), so a new type needs no edit here.
for _code, _label in RULE_KINDS.items():
    setattr(VariantForm, f"points_{_code}", FloatField(f"{_label}{'每组' if _code == CASE else '每题'}分值",
                                                       validators=[Optional()]))


class RuleForm(FlaskForm):
    qtype = SelectField("题型", choices=list(RULE_KINDS.items()))
    count = IntegerField("题量", validators=[InputRequired("请填写题量。"), NumberRange(1, 200, "题量应在 1 到 200 之间。")])
    bank_id = SelectField("题库", coerce=int, default=0)
    category = StringField("分类（含下级分类，可不填）", validators=[Optional(), Length(max=200)])
    law_name = StringField("法律法规（名称包含，可不填）", validators=[Optional(), Length(max=100)])
    difficulty = SelectField("难度", choices=[("", "不限")] + list(DIFFICULTIES.items()), default="")
    submit = SubmitField("添加规则")


class FixedQuestionsForm(FlaskForm):
    question_ids = SelectMultipleField("题目", coerce=int, validate_choice=False)
    submit = SubmitField("加入试卷")


class TemplateForm(FlaskForm):
    template = SelectField("组卷模板")
    submit = SubmitField("套用模板")


class OverrideForm(FlaskForm):
    login = StringField("人员登录名", validators=[DataRequired("请填写人员登录名。"), Length(max=64)])
    extra_minutes = IntegerField("延长考试时间（分钟）", default=0, validators=[Optional(), NumberRange(0, 600)])
    close_at = DateTimeLocalField("个人截止时间（晚于考试截止时间，可不填）", format=DATETIME_FORMAT,
                                  validators=[Optional()])
    extra_attempts = IntegerField("增加考试次数", default=0, validators=[Optional(), NumberRange(0, 10)])
    reason = StringField("原因（必填，记入操作日志）", validators=[DataRequired("请填写原因。"), Length(max=500)])
    submit = SubmitField("保存特殊安排")


class KeyCorrectionForm(FlaskForm):
    question_id = HiddenField()
    key = StringField("正确答案（题库中的选项字母）", validators=[DataRequired("请填写正确答案。"), Length(max=8)])
    submit = SubmitField("更正答案并重新评分")


class StartForm(FlaskForm):
    confirm = BooleanField("我已阅读考试须知，开始后计时不停止", validators=[DataRequired("请先确认已阅读考试须知。")])
    submit = SubmitField("开始考试")


class SubmitAttemptForm(FlaskForm):
    submit = SubmitField("确认交卷")


def answer_page_form(items):
    """A form for one page of questions (the no-JavaScript path): one field per question and one mark each."""

    class AnswerPageForm(FlaskForm):
        previous = SubmitField("上一页")
        next = SubmitField("下一页")
        finish = SubmitField("保存并交卷")
        save = SubmitField("保存本页")
        goto = IntegerField(validators=[Optional()])  # posted by the answer-card buttons: save, then that page

    for item in items:
        choices = [(LETTERS[i], text) for i, text in enumerate(item.options or [])]
        if REGISTRY[item.qtype].several:
            field = CheckboxListField(f"第 {item.position} 题", choices=choices, validate_choice=False,
                                      default=list(item.response or ""))
        else:
            field = RadioField(f"第 {item.position} 题", choices=choices, validate_choice=False,
                               default=item.response or None)
        setattr(AnswerPageForm, f"q{item.position}", field)
        setattr(AnswerPageForm, f"m{item.position}", BooleanField("标记此题", default=item.marked))
        # The answer's version when the page was drawn: a stale tab's post never overwrites a newer answer.
        setattr(AnswerPageForm, f"v{item.position}", HiddenField(default=item.seq))
    return AnswerPageForm()


class CertificateSettingsForm(FlaskForm):
    """发证单位 and 印章 printed on every certificate (administrators)."""

    issuer_name = StringField("发证单位", validators=[Length(max=100, message="不超过 100 个字符。")])
    seal = FileField("印章图片（PNG 或 JPG，建议透明背景，不超过 2 MB）")
    remove_seal = BooleanField("删除现有印章")
    submit = SubmitField("保存")
