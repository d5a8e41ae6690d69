"""账号通知单: one printable slip per new or reset account (name, unit, 登录名, initial password, the site
address, first sign-in steps), as an A4 PDF (three slips a page, cut along the dashed lines) or a workbook."""
from __future__ import annotations

from dataclasses import dataclass

from ..common import pdf as pdfkit
from ..common.pdf import CJK, MONO, PAGE_HEIGHT, PAGE_WIDTH, mm
from ..common.spreadsheets import SheetSpec

STEPS = ("1. 用手机或电脑浏览器打开上面的网址；",
         "2. 输入登录名和初始密码，点“登录”；",
         "3. 按提示设置新密码（至少8位，不要告诉他人），以后用新密码登录；",
         "4. 忘记密码请找本单位管理员重置。本通知单登录后请妥善销毁。")
PER_PAGE = 3


@dataclass
class Slip:
    name: str
    unit: str
    login: str
    password: str


def pdf_bytes(slips: list[Slip], site: str, issuer: str = "") -> bytes:
    buffer, pdf = pdfkit.new_document("账号通知单")
    height = PAGE_HEIGHT / PER_PAGE
    for index, slip in enumerate(slips):
        slot = index % PER_PAGE
        if index and slot == 0:
            pdf.showPage()
        top = PAGE_HEIGHT - slot * height
        _slip(pdf, slip, site, issuer, top, height)
        if slot < PER_PAGE - 1:
            pdf.saveState()
            pdf.setDash(4, 4)
            pdf.setStrokeGray(0.6)
            pdf.line(10 * mm, top - height, PAGE_WIDTH - 10 * mm, top - height)
            pdf.restoreState()
    if not slips:
        pdf.setFont(CJK, 12)
        pdf.drawString(20 * mm, PAGE_HEIGHT - 30 * mm, "没有账号。")
    return pdfkit.finish(buffer, pdf)


def _slip(pdf, slip: Slip, site: str, issuer: str, top: float, height: float):
    left = 18 * mm
    y = top - 16 * mm
    pdf.setFont(CJK, 16)
    pdf.drawString(left, y, "干部学法用法学习考试系统 · 账号通知单")
    pdf.setFont(CJK, 10)
    if issuer:
        pdf.drawRightString(PAGE_WIDTH - left, y, issuer)
    y -= 10 * mm
    pdf.setFont(CJK, 12)
    pdf.drawString(left, y, f"姓名：{slip.name}")
    pdf.drawString(left + 60 * mm, y, f"单位：{slip.unit}"[:40])
    y -= 9 * mm
    pdf.drawString(left, y, "登录名：")
    pdf.setFont(MONO, 16)
    pdf.drawString(left + 18 * mm, y, slip.login)
    y -= 9 * mm
    pdf.setFont(CJK, 12)
    pdf.drawString(left, y, "初始密码：")
    pdf.setFont(MONO, 18)
    pdf.drawString(left + 22 * mm, y, slip.password)
    y -= 9 * mm
    pdf.setFont(CJK, 12)
    pdf.drawString(left, y, "网址：")
    pdf.setFont(MONO, 13)
    pdf.drawString(left + 13 * mm, y, site)
    pdfkit.draw_qr(pdf, site, PAGE_WIDTH - left - 28 * mm, y - 4 * mm, 28 * mm)
    y -= 8 * mm
    pdf.setFont(CJK, 10)
    pdf.drawString(left, y, "首次登录：")
    for step in STEPS:
        y -= 5.5 * mm
        pdf.drawString(left + 4 * mm, y, step)


def workbook(slips: list[Slip], site: str) -> list[SheetSpec]:
    """The same slips as rows (one person a row, with the steps), for mail merge or printing from Excel."""
    steps = "".join(STEPS)
    rows = [[s.name, s.unit, s.login, s.password, site, steps] for s in slips]
    return [SheetSpec("账号通知单", ["姓名", "单位", "登录名", "初始密码", "网址", "首次登录步骤"], rows,
                      [10, 30, 16, 14, 36, 80], "账号通知单（初始密码只在本表中出现，请妥善保管）")]
