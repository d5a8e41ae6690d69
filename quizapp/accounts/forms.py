"""Forms for sign-in, passwords, units and accounts."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional

from ..common.auth import ROLES
from .models import CATEGORIES, RANKS, UNIT_KINDS


class LoginForm(FlaskForm):
    login = StringField("登录名", validators=[DataRequired("请输入登录名。"), Length(max=64)],
                        render_kw={"autocomplete": "username", "autocapitalize": "off"})
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("登录")


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码。")],
                                 render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=200)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再次输入新密码", validators=[
        DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("修改密码")


class UnitForm(FlaskForm):
    name = StringField("单位名称", validators=[DataRequired("请填写单位名称。"), Length(max=100)])
    kind = SelectField("单位类型", choices=list(UNIT_KINDS.items()), default="organ")
    parent_id = SelectField("上级单位", coerce=int, validators=[Optional()])
    submit = SubmitField("保存")


class MoveUnitForm(FlaskForm):
    parent_id = SelectField("移动到（新的上级单位）", coerce=int)
    submit = SubmitField("移动")


class UserForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名。"), Length(max=50)])
    login = StringField("登录名（工号或手机号）", validators=[DataRequired("请填写登录名。"), Length(max=64)],
                        render_kw={"autocapitalize": "off"})
    unit_id = SelectField("单位", coerce=int)
    title = StringField("职务", validators=[Length(max=100)])
    rank = SelectField("职级", choices=list(RANKS.items()), default="none")
    category = SelectField("人员类别", choices=list(CATEGORIES.items()), default="general")
    shufa = BooleanField("述法对象")
    role = SelectField("角色", choices=list(ROLES.items()), default="cadre")
    phone = StringField("联系电话", validators=[Length(max=20)])
    submit = SubmitField("保存")


class ImportForm(FlaskForm):
    file = FileField("人员名单文件（.xlsx / .xls / .csv）", validators=[FileRequired("请选择文件。")])
    create_units = BooleanField("自动创建不存在的单位")
    submit = SubmitField("预检")


class ImportApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("确认导入")


class SetActiveForm(FlaskForm):
    """The 启用 / 停用 buttons of a person's page: ``active`` is "1" or "0"."""

    active = HiddenField(validators=[AnyOf(("0", "1"))])


class SlipsForm(FlaskForm):
    """账号通知单 for the accounts just issued: ``entries`` is "user id:password" pairs joined by ";"."""

    entries = HiddenField(validators=[DataRequired()])
    pdf = SubmitField("下载账号通知单（PDF）")
    xlsx = SubmitField("下载账号通知单（Excel）")

    @classmethod
    def for_issued(cls, pairs):
        return cls(entries=";".join(f"{user.id}:{password}" for user, password in pairs))

    def pairs(self):
        """[(user id, password)] from the hidden field; malformed parts are skipped."""
        out = []
        for part in (self.entries.data or "").split(";"):
            user_id, _, password = part.partition(":")
            if user_id.isdigit() and password:
                out.append((int(user_id), password))
        return out
