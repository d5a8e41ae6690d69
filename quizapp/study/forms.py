"""Forms for the law library, study materials, study targets and offline sessions."""
from flask_wtf import FlaskForm as BaseForm
from wtforms.i18n import get_translations
from flask_wtf.file import FileField, FileRequired
from wtforms import (DateField, FloatField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.models import CATEGORIES as PERSON_CATEGORIES
from .models import CATEGORIES, LAW_CATEGORIES, MATERIAL_KINDS, OFFLINE_KINDS


class FlaskForm(BaseForm):
    """A FlaskForm whose built-in messages ("不是有效的日期值。") are Chinese even without Flask-Babel."""

    class Meta:
        def get_translations(self, form):
            return get_translations(["zh"])


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LawUploadForm(FlaskForm):
    file = FileField("法律法规文本（.txt / .md / .docx）", validators=[FileRequired("请选择文件。")])
    version_date = DateField("版本日期（选填）", validators=[Optional()],
                             description="文本中能识别出最近一次通过、修正或修订日期时无需填写。")
    submit = SubmitField("上传并导入")


class LawEditForm(FlaskForm):
    short_title = StringField("简称", validators=[DataRequired("请填写简称。"), Length(max=200)])
    category = SelectField("分类", choices=[(c, c) for c in LAW_CATEGORIES])
    submit = SubmitField("保存")


class MaterialForm(FlaskForm):
    title = StringField("标题", validators=[DataRequired("请填写标题。"), Length(max=200)])
    category = SelectField("分类", choices=[(c, c) for c in CATEGORIES])
    sector = StringField("领域（法律法规类选填，如：土地与农村）", validators=[Length(max=30)])
    kind = RadioField("形式", choices=list(MATERIAL_KINDS.items()), default="markdown")
    body = TextAreaField("正文（Markdown）", render_kw={"rows": 16})
    pdf = FileField("PDF 文件")
    minutes = IntegerField("预计学习时长（分钟）", default=10,
                           validators=[InputRequired("请填写预计学习时长。"), NumberRange(1, 600, "应为 1 至 600 分钟。")])
    sources = TextAreaField("出处（多个用分号分隔）", render_kw={"rows": 2})
    unit_id = SelectField("所属单位", coerce=int)
    audience_units = SelectMultipleField("面向单位（含下级单位；不选则为所属单位全体）", coerce=int,
                                         render_kw={"size": 8})
    audience_categories = MultiCheckboxField("面向人员类别（不选则为全部类别）",
                                             choices=list(PERSON_CATEGORIES.items()))
    submit = SubmitField("保存")


class PublishForm(FlaskForm):
    """The 发布 / 撤回发布 buttons of a material: ``published`` is "1" or "0"."""

    published = HiddenField(validators=[AnyOf(("0", "1"))])


class RequirementForm(FlaskForm):
    year = IntegerField("年度", validators=[InputRequired("请填写年度。"), NumberRange(2000, 2100, "年度不正确。")])
    unit_id = SelectField("要求学习的单位（含下级单位）", coerce=int)
    due_date = DateField("截止日期", validators=[InputRequired("请填写截止日期。")])
    submit = SubmitField("设为必学")


class TargetsForm(FlaskForm):
    submit = SubmitField("保存")


def targets_form(values):
    """A form with one 学时 field per 人员类别 (the categories come from the accounts domain)."""

    class Form(TargetsForm):
        pass

    for code, label in PERSON_CATEGORIES.items():
        setattr(Form, code, FloatField(f"{label}（学时/年）", default=values.get(code, 0),
                                       validators=[InputRequired("请填写学时。"), NumberRange(0, 1000, "应为 0 至 1000。")]))
    return Form()


class OfflineSessionForm(FlaskForm):
    kind = SelectField("活动类型", choices=[(k, k) for k in OFFLINE_KINDS])
    topic = StringField("主题", validators=[DataRequired("请填写主题。"), Length(max=200)])
    category = SelectField("学习内容分类", choices=[(c, c) for c in CATEGORIES], default="法律法规")
    held_on = DateField("活动日期", validators=[InputRequired("请填写活动日期。")])
    minutes = IntegerField("时长（分钟）", default=90,
                           validators=[InputRequired("请填写时长。"), NumberRange(1, 1440, "应为 1 至 1440 分钟。")])
    unit_id = SelectField("组织单位", coerce=int)
    speaker = StringField("主讲人", validators=[Length(max=100)])
    location = StringField("地点", validators=[Length(max=200)])
    public_count = IntegerField("群众人次（面向群众的活动填写）", default=0,
                                validators=[Optional(), NumberRange(0, 1_000_000, "应为 0 或正整数。")])
    notes = TextAreaField("备注", validators=[Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField("保存")


class AttendeesForm(FlaskForm):
    """Add or remove the checked people; ``q`` and ``unit`` carry the search so "add all" adds what was shown."""

    user_ids = SelectMultipleField(coerce=int, validate_choice=False)
    q = HiddenField()
    unit = HiddenField()
    back = HiddenField()  # "show": return to the session's page after removing
    submit = SubmitField("确定")
    all = SubmitField("添加搜索结果全部")  # pressed: add everyone the search finds, not only the checked


class SigninUploadForm(FlaskForm):
    file = FileField("签到表（.xlsx / .xls / .csv，列：姓名、登录名）", validators=[FileRequired("请选择文件。")])
    submit = SubmitField("预检")


class TokenForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("确认导入")
