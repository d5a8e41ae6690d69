"""Forms for banks, questions and imports."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .models import DIFFICULTIES
from .qtypes import LETTERS, TYPE_LABELS


class BankForm(FlaskForm):
    name = StringField("题库名称", validators=[DataRequired("请填写题库名称。"), Length(max=100)])
    unit_id = SelectField("所属单位", coerce=int, validators=[Optional()])
    description = TextAreaField("说明", validators=[Length(max=500)], render_kw={"rows": 3})
    submit = SubmitField("保存")


class QuestionForm(FlaskForm):
    """Field names are the import layout's keys, so the importer's problems land on the right field."""

    qtype = SelectField("题型", choices=list(TYPE_LABELS.items()), default="single")
    stem = TextAreaField("题干", render_kw={"rows": 4})
    answer = StringField("答案", render_kw={"autocapitalize": "characters"})
    explanation = TextAreaField("解析", render_kw={"rows": 4})
    difficulty = SelectField("难度", choices=list(DIFFICULTIES.items()), default="medium")
    category = StringField("分类", render_kw={"placeholder": "如：宪法/国家机构"})
    law = StringField("法律依据", render_kw={"placeholder": "如：《中华人民共和国宪法》"})
    article = StringField("条款", render_kw={"placeholder": "如：第三十三条"})
    version = StringField("法规版本", render_kw={"placeholder": "如：2018-03-11"})
    tags = StringField("标签", render_kw={"placeholder": "多个标签用分号隔开"})
    score = StringField("分值（组卷参考，可不填）", render_kw={"inputmode": "decimal"})
    variant_group = StringField("变式组", render_kw={"placeholder": "考同一知识点的题填同一名称，如 xianfa-xuanju-18"})
    submit = SubmitField("保存")


for _letter in LETTERS:
    setattr(QuestionForm, f"opt_{_letter}", StringField(f"选项{_letter}"))


class VariantGroupForm(FlaskForm):
    """Put the ticked questions of a bank in one 变式组 (an empty name takes them out of their groups)."""

    question_ids = SelectMultipleField("试题", coerce=int, validate_choice=False)
    group = StringField("变式组", validators=[Length(max=60)],
                        render_kw={"placeholder": "如 xianfa-xuanju-18；留空则移出变式组"})
    submit = SubmitField("设为同一变式组")


class QuestionStatusForm(FlaskForm):
    """The 停用 / 恢复使用 buttons of a question: the status to set (the service checks it)."""

    status = HiddenField()


class ImportForm(FlaskForm):
    file = FileField("试题文件（.xlsx / .xls / .csv / Word .docx / .txt）", validators=[FileRequired("请选择文件。")])
    submit = SubmitField("上传并预检")


class PasteForm(FlaskForm):
    """Questions copied from a PDF or a web page, in the same layouts as a Word document."""

    text = TextAreaField("试题文本", validators=[DataRequired("请粘贴试题。")], render_kw={"rows": 20})
    submit = SubmitField("预检")


class ImportApplyForm(FlaskForm):
    """When rows were rejected the organiser must pick one; nothing is preselected."""

    token = HiddenField(validators=[DataRequired()])
    choice = RadioField("有错误的行怎么办", choices=[("valid_only", "只导入无误的行（有错误的行不导入）"),
                                                ("fix_first", "先修改文件（本次不导入任何试题）")],
                        validators=[Optional()], default=None)
    submit = SubmitField("确认")


def type_code_form(codes, mapping=None):
    """One 题型 choice per numeric code found in the file; nothing is preselected, so nothing is guessed."""

    class TypeCodeForm(FlaskForm):
        token = HiddenField(validators=[DataRequired()])
        submit = SubmitField("按此对应重新预检")

    choices = [("", "请选择")] + list(TYPE_LABELS.items())
    for code in codes:
        setattr(TypeCodeForm, f"code_{code}", SelectField(
            f"代码 {code}", choices=choices, default=(mapping or {}).get(code, ""),
            validators=[DataRequired(f"请选择代码 {code} 对应的题型。")]))
    return TypeCodeForm
