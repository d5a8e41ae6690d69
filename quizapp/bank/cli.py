"""`flask bank …`: import, export, load the shipped banks and audit their citations, over the pages' services."""
import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..common.errors import ServiceError
from ..common.spreadsheets import RowProblem, SpreadsheetError
from ..extensions import db
from . import importer, qtypes, services
from .models import Bank, Question
from .qtypes import LETTERS

bank_cli = AppGroup("bank", help="题库：导入、导出、加载内置题库、核对法条引用。")

EXIT_ROWS_REJECTED = 1
EXIT_FILE_REFUSED = 2


def _result(path, preview=None, error=None):
    """The JSON shape the issue fixes: file, accepted, duplicates, rejected[sheet, row, column, message]."""
    if error is not None:
        return {"file": str(path), "accepted": 0, "duplicates": 0,
                "rejected": [{"sheet": None, "row": None, "column": None, "message": error}]}
    return {"file": str(path), "accepted": len(preview.accepted), "duplicates": len(preview.duplicates),
            "rejected": [problem.as_dict() for problem in preview.problems]}


def _echo_text(result, preview=None):
    for problem in result["rejected"]:
        click.echo("  " + str(RowProblem(**problem)), err=True)
    if preview is not None:
        for duplicate in preview.duplicates:
            where = RowProblem(duplicate.sheet, duplicate.row, "", duplicate.message)
            click.echo(f"  重复（不导入）{where}")
        for note in preview.notes:
            click.echo(f"  提示：{note}")
        for earlier in preview.previous:
            click.echo(f"  提示：此文件已于 {earlier.imported_at:%Y-%m-%d %H:%M}（UTC）导入过本题库（导入 {earlier.accepted} 道）。")


@bank_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True, help="题库名称；不存在时新建为系统题库。")
@click.option("--dry-run", is_flag=True, help="只预检，不写入。")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象。")
@click.option("--valid-only", is_flag=True, help="有错误的行时，只导入无误的行（否则一道也不导入）。")
@click.option("--type-code", "type_codes", multiple=True, metavar="CODE=TYPE",
              help="数字题型代码的含义，如 --type-code 1=single --type-code 3=judge（可选 single、multiple、judge）。")
def import_command(path, bank_name, dry_run, as_json, valid_only, type_codes):
    """Import questions from an .xlsx/.xls/.csv file, a Word .docx or a .txt of numbered questions into a bank.

    Exit status: 0 imported (or a clean dry run with something to import);
    1 rows were rejected and nothing was imported (without --valid-only), or
    nothing at all would be imported; 2 the file was refused as a whole.
    """
    data = path.read_bytes()
    bank = db.session.scalar(sa.select(Bank).where(Bank.name == bank_name).order_by(Bank.unit_id.is_not(None),
                                                                                      Bank.id))
    try:
        preview = importer.read_questions(data, path.name, type_codes=_type_codes(type_codes))
    except SpreadsheetError as error:
        result = _result(path, error=str(error))
        click.echo(json.dumps(result, ensure_ascii=False) if as_json else f"文件无法导入：{error}",
                   err=not as_json)
        sys.exit(EXIT_FILE_REFUSED)
    if bank is not None:
        importer.check_against_bank(preview, bank)
    result = _result(path, preview)
    if not as_json:
        click.echo(f"{path.name}：数据行 {preview.total}，可导入 {len(preview.accepted)}，重复 {len(preview.duplicates)}，"
                   f"错误 {preview.rejected_rows} 行。")
        _echo_text(result, preview)
    refused_rows = bool(preview.problems) and not valid_only
    if dry_run or refused_rows or not preview.accepted:
        db.session.rollback()
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        elif refused_rows and not dry_run:
            click.echo("有错误的行，未导入任何试题（修改文件后重试，或加 --valid-only 只导入无误的行）。", err=True)
        if not preview.accepted and not refused_rows and not as_json:
            click.echo("没有可以导入的新试题。", err=True)
        sys.exit(EXIT_ROWS_REJECTED if refused_rows or not preview.accepted else 0)
    try:
        if bank is None:
            bank, _ = services.find_or_create_system_bank(bank_name)
        import_record = importer.apply_import(None, bank, preview, valid_only=valid_only)
    except (ServiceError, sa.exc.IntegrityError) as error:
        db.session.rollback()
        click.echo(f"未导入任何试题：{error}", err=True)
        sys.exit(EXIT_ROWS_REJECTED)
    db.session.commit()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"已导入 {import_record.accepted} 道试题到题库“{bank.name}”。")


def _type_codes(pairs):
    """{"1": "single"} from ("1=single",); a type may also be given by its Chinese name (1=单选)."""
    from . import qtypes

    mapping = {}
    for pair in pairs:
        code, _, name = pair.partition("=")
        qtype = qtypes.REGISTRY.get(name.strip()) or qtypes.from_name(name)
        if not code.strip() or qtype is None:
            raise click.BadParameter(f"“{pair}”应写成 代码=题型，如 1=single", param_hint="--type-code")
        mapping[code.strip()] = qtype.code
    return mapping


@bank_cli.command("export")
@click.option("--bank", "bank_name", required=True, help="题库名称。")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(bank_name, out):
    """Write every question of a bank (active and retired) to an .xlsx, or a .docx when OUT ends so, in the import layout."""
    banks = db.session.scalars(sa.select(Bank).where(Bank.name == bank_name)).all()
    if not banks:
        raise click.ClickException(f"没有名为“{bank_name}”的题库。")
    if len(banks) > 1:
        raise click.ClickException(f"有 {len(banks)} 个名为“{bank_name}”的题库（属于不同单位），请在网页上导出。")
    questions = db.session.scalars(sa.select(Question).where(Question.bank_id == banks[0].id)
                                   .order_by(Question.id)).all()
    if out.suffix.lower() == ".docx":
        out.write_bytes(services.export_docx_bytes(questions, title=banks[0].name))
    else:
        out.write_bytes(services.export_bytes(questions))
    click.echo(f"已导出 {len(questions)} 道试题到 {out}。")


@bank_cli.command("load-shipped")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="内置题库目录（默认 question_bank/banks）。")
def load_shipped_command(directory):
    """Load every shipped bank (question_bank/banks/*.csv) into its system bank; running it again adds nothing."""
    results = services.load_shipped(directory)
    db.session.commit()
    failed = False
    for result in results:
        if result.error:
            failed = True
            click.echo(f"{result.path.name}：文件无法导入：{result.error}", err=True)
            continue
        if result.skipped:
            click.echo(f"{result.path.name} → {result.bank}：已加载过，跳过。")
            continue
        click.echo(f"{result.path.name} → {result.bank}：新增 {result.added}，重复 {result.duplicates}，"
                   f"错误 {len({(p.sheet, p.row) for p in result.problems})} 行。")
        for problem in result.problems:
            failed = True
            click.echo(f"  {problem}", err=True)
    click.echo(f"共 {len(results)} 个文件，新增试题 {sum(r.added for r in results)} 道。")
    if failed:
        sys.exit(EXIT_ROWS_REJECTED)


def shipped_questions(directory=None):
    """Every valid shipped question as the citation audit's dicts, read through the importer (not the database).

    Returns (questions, rejected) where rejected lists (file name, RowProblem).
    """
    questions, rejected = [], []
    for path in services.shipped_files(directory):
        try:
            preview = importer.read_questions(path.read_bytes(), path.name)
        except SpreadsheetError as error:
            rejected.append((path.name, RowProblem("", None, "", str(error))))
            continue
        rejected += [(path.name, problem) for problem in preview.problems]
        for item in preview.accepted:
            values = item.values
            if qtypes.get(values["qtype"]).has_fixed_options:  # 判断: the audit reads T/F
                answer = "T" if values["answer"] == "A" else "F"
            else:
                answer = values["answer"]
            questions.append({
                "type": values["qtype"], "stem": values["stem"], "options": dict(zip(LETTERS, values["options"])),
                "answer": answer, "law": values["law_name"], "article": values["law_article"],
                "version": values["law_version"].isoformat() if values["law_version"] else "",
                "ident": f"{path.name}:{item.row}",
            })
    return questions, rejected


def shipped_values(directory=None) -> dict[str, list[dict]]:
    """The importer's values of every valid shipped question, by bank file stem (for the balance figures)."""
    found = {}
    for path in services.shipped_files(directory):
        try:
            preview = importer.read_questions(path.read_bytes(), path.name)
        except SpreadsheetError:
            continue
        found[path.stem] = [item.values for item in preview.accepted]
    return found


def note_files(directories) -> list[Path]:
    return sorted(path for directory in directories if directory.is_dir() for path in directory.glob("*.md"))


@bank_cli.command("audit")
@click.option("--laws", "laws_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="官方法律文本目录（如 ../shared/laws）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出核对报告。")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="内置题库目录（默认 question_bank/banks）。")
@click.option("--notes", "note_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="学习资料目录，可写多次（默认 question_bank/materials 和 question_bank/cases）。")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="核对在该日期（YYYY-MM-DD）是否为现行版本；不填则不核对。")
@click.option("--strict", is_flag=True, help="答案数字与条文不一致时也以非零状态退出。")
def citation_audit_command(laws_dir, as_json, directory, note_dirs, as_of, strict):
    """Check every shipped question's law citation against the official texts, the study notes' links,
    and each bank's key balance.

    Exits non-zero when a cited version or article does not exist, a shipped
    row cannot be read at all, (with --as-of) a question or note cites a version
    not in force on that date, a note link is unpinned or opens an article
    without the figures the note states, or a bank's balance figures are out
    of bounds (with --strict, also on a figure mismatch in a question).
    """
    from . import balance, citation_audit

    index = citation_audit.build_index(laws_dir)
    questions, rejected = shipped_questions(directory)
    report = citation_audit.audit_questions(questions, index)
    day = as_of.date() if as_of else None
    currency = citation_audit.audit_currency(questions, index, day) if day else []
    repealed = citation_audit.repeals(index)
    base = services.shipped_files(directory)[0].parent.parent if services.shipped_files(directory) else Path(".")
    note_dirs = note_dirs or (base / "materials", base / "cases")
    notes = [result for path in note_files(note_dirs)
             for result in citation_audit.audit_note(path.name, path.read_text(encoding="utf-8"), index, day,
                                                     repealed)]
    banks = {stem: balance.measure(stem, values) for stem, values in shipped_values(directory).items()}
    pooled = balance.measure("全部内置题库", [v for values in shipped_values(directory).values() for v in values])
    currency_failed = [(ident, r) for ident, r in currency if r.status == "fail"]
    notes_failed = [(ident, r) for ident, r in notes if r.status == "fail"]
    balance_failed = [b for b in [*banks.values(), pooled] if b.problems]
    if as_json:
        data = json.loads(citation_audit.report_to_json(report))
        data["rejected_rows"] = [{"file": name, **problem.as_dict()} for name, problem in rejected]
        data["as_of"] = day.isoformat() if day else None
        data["currency"] = {"checked": len(currency), "failed": [{"ident": i, **r.__dict__} for i, r in currency_failed],
                            "passed": sum(1 for _, r in currency if r.status == "pass")}
        data["notes"] = {"links": len({i for i, _ in notes}), "failed": [{"ident": i, **r.__dict__}
                                                                         for i, r in notes_failed]}
        data["balance"] = [b.as_dict() for b in [*banks.values(), pooled]]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(citation_audit.report_to_text(report), nl=False)
        if rejected:
            click.echo(f"\n无法读取的题目（{len(rejected)} 处，未核对）：")
            for name, problem in rejected:
                click.echo(f"  {name} {problem}")
        if day:
            passed = sum(1 for _, r in currency if r.status == "pass")
            click.echo(f"\n现行版本核对（{day}）：引用法律的题目 {len(currency)} 道，现行 {passed}，"
                       f"不通过 {len(currency_failed)}，无法核对 {len(currency) - passed - len(currency_failed)}。")
            for ident, result in currency_failed:
                click.echo(f"  {ident}  {result.detail}")
        click.echo(f"\n学习资料链接核对：检查 {len(notes)} 项，不通过 {len(notes_failed)}。")
        for ident, result in notes_failed:
            click.echo(f"  {ident}  {result.detail}")
        click.echo("\n答案分布（4 选项单选答案字母；有唯一最长选项的单选中最长即答案的占比；多选/不定项错误选项位置）：")
        for b in [*banks.values(), pooled]:
            letters = " ".join(f"{k}{v:.0%}" for k, v in b.key_letters.items())
            wrong = "；".join(f"{n}项 " + " ".join(f"{k}{v:.0%}" for k, v in shares.items())
                             for n, shares in b.wrong_positions.items())
            click.echo(f"  {b.name}：单选 {b.singles}（4 选项 {b.single4}：{letters or '—'}），最长即答案 "
                       f"{b.longest_is_key:.0%}；{wrong or '无多选'}" + ("  ✗ " + "；".join(b.problems) if b.problems else ""))
    fatal = {"law_known", "version_exists", "article_exists"} | ({"figure_in_article"} if strict else set())
    if rejected or any(result.check in fatal for _, result in report.failures) or currency_failed or notes_failed \
            or balance_failed:
        sys.exit(1)


@bank_cli.command("rebalance")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="内置题库目录（默认 question_bank/banks）。")
@click.option("--check", is_flag=True, help="只检查，不改写文件；需要调整时以非零状态退出。")
def rebalance_command(directory, check):
    """Reorder the options of shipped 单选/多选/不定项 so key letters and wrong-option positions are spread
    evenly (rewriting the key). Deterministic: running it again changes nothing."""
    from . import balance

    total = 0
    for path in services.shipped_files(directory):
        changed = balance.rebalance_file(path, write=not check)
        if changed:
            click.echo(f"{path.name}：{'需调整' if check else '已调整'} {changed} 道")
        total += changed
    click.echo(f"共{'需调整' if check else '调整'} {total} 道。")
    if check and total:
        sys.exit(1)


@bank_cli.command("pin-links")
@click.option("--laws", "laws_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="官方法律文本目录（如 ../shared/laws）。")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="资料未注明所依据版本时，钉在该日期现行的版本上。")
@click.option("--notes", "note_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="学习资料目录，可写多次（默认 question_bank/materials 和 question_bank/cases）。")
def pin_links_command(laws_dir, as_of, note_dirs):
    """Pin the unpinned law: links of the shipped notes to the version each note was written against."""
    from . import citation_audit

    index = citation_audit.build_index(laws_dir)
    base = services.shipped_files()[0].parent.parent if services.shipped_files() else Path("question_bank")
    total = 0
    for path in note_files(note_dirs or (base / "materials", base / "cases")):
        text = path.read_text(encoding="utf-8")
        pinned, left = citation_audit.pin_links(text, index, as_of.date())
        if pinned != text:
            path.write_text(pinned, encoding="utf-8")
            total += 1
            click.echo(f"{path.name}：已注明版本")
        for link in left:
            click.echo(f"  {path.name}：资料中没有该法律的文本，未注明版本：{link}", err=True)
    click.echo(f"共改写 {total} 个文件。")
