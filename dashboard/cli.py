"""The ``fengqiao`` command: database, demo data and the dashboard server."""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click
import waitress
from rich.console import Console

from geo import db, migrate
from geo.enums import Role
from geo.errors import FengqiaoError

console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def friendly(func):
    """Turn a domain error into one sentence on stderr and exit status 1, without a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FengqiaoError as exc:
            Console(stderr=True, highlight=False).print(f"[bold red]错误：[/]{exc}")
            sys.exit(1)

    return wrapper


def open_engine():
    """The engine of the database in use (starting the embedded one if needed), PostGIS checked."""
    engine = db.make_engine(db.database_url())
    db.check_database(engine)
    return engine


def migrate_and_load_reference(engine) -> dict:
    from etl.reference import load_reference

    migrate.upgrade(engine)
    with db.session_factory(engine).begin() as session:
        return load_reference(session)


@click.group(help="枫桥网格：信阳市矛盾纠纷源头治理与信访工作仪表盘。")
def main() -> None:
    pass


@main.group("db", help="数据库：内置 PostGIS 或 DATABASE_URL 指向的数据库。")
def db_group() -> None:
    pass


@db_group.command("start", help="启动内置数据库（不存在时先创建）。")
@click.option("--port", type=int, default=None, help="指定端口；默认自动选一个空闲端口。")
@friendly
def db_start(port: int | None) -> None:
    if db.configured_url() is not None:
        console.print("已设置 DATABASE_URL：使用外部数据库，不启动内置数据库。")
        return
    cluster = db.local_cluster()
    was_running = cluster.status().running
    url = cluster.start(port)
    state = "已在运行" if was_running else "已启动"
    console.print(f"内置数据库{state}：端口 {url.query['port']}，数据目录 {cluster.pgdata}")


@db_group.command("stop", help="停止内置数据库。")
@friendly
def db_stop() -> None:
    if db.configured_url() is not None:
        console.print("已设置 DATABASE_URL：外部数据库不由 fengqiao 管理，无需停止。")
        return
    stopped = db.local_cluster().stop()
    console.print("内置数据库已停止。" if stopped else "内置数据库没有在运行。")


@db_group.command("status", help="显示正在使用的数据库及其状态。")
@friendly
def db_status() -> None:
    url = db.configured_url()
    if url is not None:
        engine = db.make_engine(url)
        version = db.check_database(engine)
        console.print(f"使用 DATABASE_URL：{url.render_as_string(hide_password=True)}（可连接，PostGIS {version}）")
        console.print(f"架构版本：{migrate.revision_of(engine) or '未迁移'}（最新 {migrate.head()}）")
        return
    cluster = db.local_cluster()
    state = cluster.status()
    if not state.running:
        console.print(f"内置数据库未运行。数据目录：{cluster.pgdata}（{'已创建' if cluster.is_initialised() else '尚未创建'}）")
        return
    engine = db.make_engine(cluster.url(state.port))
    console.print(f"内置数据库运行中：进程 {state.pid}，端口 {state.port}，套接字目录 {state.socket_dir}")
    console.print(f"数据目录：{state.pgdata}；PostGIS {db.check_database(engine)}")
    console.print(f"架构版本：{migrate.revision_of(engine) or '未迁移'}（最新 {migrate.head()}）")


@db_group.command("url", help="打印正在使用的数据库的 SQLAlchemy 地址。")
@friendly
def db_url() -> None:
    click.echo(db.database_url().render_as_string(hide_password=False))


@db_group.command("migrate", help="把数据库结构升级到最新版本，并载入信阳市区划参考数据。")
@friendly
def db_migrate() -> None:
    counts = migrate_and_load_reference(open_engine())
    console.print(f"数据库结构已是最新（{migrate.head()}）；区划：" + "，".join(
        f"{level.label} {n}" for level, n in sorted(counts.items())))


@main.group("demo", help="信阳市演示数据（示意边界与生成数据）。")
def demo_group() -> None:
    pass


def load_demo_data(engine, scale: str, seed: int) -> None:
    from etl.demo.load import load_demo, timed
    from etl.demo.summary import print_summary

    migrate_and_load_reference(engine)
    console.print(f"载入演示数据：规模 {scale}，随机种子 {seed}")
    step = timed(console.print)
    with db.session_factory(engine).begin() as session:
        for_progress = lambda name: (step(name), console.print(f"[bold]›[/] {name}…"))  # noqa: E731
        counts = load_demo(session, seed=seed, scale=scale, progress=for_progress)
        step("")
    with db.session_factory(engine)() as session:
        print_summary(console, session, counts)
    announce_demo_users(engine)


def announce_demo_users(engine) -> None:
    """Create the demo accounts and print their passwords; with the embedded database, keep a copy
    readable only by this user in its data folder."""
    from etl.demo.users import create_demo_users

    with db.session_factory(engine).begin() as session:
        accounts = create_demo_users(session)
    lines = [f"{username}\t{password}\t{role.label}{'（' + region + '）' if region else ''}"
             for username, _, role, region, password in accounts]
    where = ""
    if db.configured_url() is None:
        saved = db.data_dir() / "demo-accounts.txt"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.touch(mode=0o600, exist_ok=True)
        saved.chmod(0o600)
        saved.write_text("用户名\t密码\t角色\n" + "\n".join(lines) + "\n", encoding="utf-8")
        where = f"；副本见 {saved}"
    console.print(f"[bold]演示账户[/]（每次载入演示数据都会重新生成密码{where}）：")
    for line in lines:
        console.print("  " + line.replace("\t", "  "))


@demo_group.command("load", help="生成并载入演示数据；重新载入会替换旧的演示数据，不影响导入的数据。")
@click.option("--scale", type=click.Choice(["small", "city"]), default="city", show_default=True,
              help="small：浉河区和光山县、五分之一住户；city：全市。")
@click.option("--seed", type=int, default=2023, show_default=True, help="随机种子：同一种子生成相同数据。")
@friendly
def demo_load(scale: str, seed: int) -> None:
    load_demo_data(open_engine(), scale, seed)


@main.command("up", help="一条命令启动：升级数据库、首次运行时载入演示数据、启动仪表盘。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--scale", type=click.Choice(["small", "city"]), default="city", show_default=True)
@click.option("--seed", type=int, default=2023, show_default=True)
@friendly
def up(host: str, port: int, scale: str, seed: int) -> None:
    from sqlalchemy import select

    from geo.models import DemoLoad

    engine = open_engine()
    migrate_and_load_reference(engine)
    with db.session_factory(engine)() as session:
        loaded = session.scalars(select(DemoLoad).order_by(DemoLoad.id.desc()).limit(1)).first()
    if loaded is None:
        load_demo_data(engine, scale, seed)
    else:
        console.print(f"演示数据已在库中（{loaded.scale}，种子 {loaded.seed}，{loaded.loaded_at:%Y-%m-%d %H:%M}）；"
                      "要重新生成请执行 fengqiao demo load。演示账户的密码见其输出（内置数据库时另存于 "
                      f"{db.data_dir() / 'demo-accounts.txt'}）。")
    run_server(host, port, debug=False)


@main.command("serve", help="启动仪表盘网站。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash 调试模式（仅开发时使用）。")
@friendly
def serve(host: str, port: int, debug: bool) -> None:
    open_engine()
    run_server(host, port, debug)


def run_server(host: str, port: int, debug: bool) -> None:
    from dashboard.app import create_app

    app = create_app()
    console.print(f"枫桥网格仪表盘：http://{host}:{port}/")
    if debug:
        app.run(host=host, port=port, debug=True)
    else:
        waitress.serve(app.server, host=host, port=port, threads=8)


@main.group("user", help="用户：新增、列出、停用（角色：leadership 市领导小组、county_supervisor 县级网格督导、"
                         "township_supervisor 乡镇网格督导、reviewer 示范县评审、admin 系统管理员）。")
def user_group() -> None:
    pass


@user_group.command("add", help="新增用户；不给 --password 时生成随机密码并打印。")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--region", default=None, help="县级督导填县区代码（6 位），乡镇督导填乡镇代码（12 位）。")
@click.option("--name", "display_name", default="", help="显示的姓名或单位。")
@click.option("--password", default=None, help="至少 10 位；建议省略，由系统生成。")
@friendly
def user_add(username: str, role: str, region: str | None, display_name: str, password: str | None) -> None:
    from geo.auth import add_user

    with db.session_factory(open_engine()).begin() as session:
        user, password = add_user(session, username, display_name, role, region, password)
    console.print(f"已新增用户 {user.username}（{Role(user.role).label}{'，' + user.region_code if user.region_code else ''}），"
                  f"密码：{password}")


@user_group.command("list", help="列出用户。")
@friendly
def user_list() -> None:
    from geo.auth import list_users

    with db.session_factory(open_engine())() as session:
        users = list_users(session)
    for user in users:
        state = "启用" if user.active else "已停用"
        locked = f"，锁定至 {user.locked_until:%Y-%m-%d %H:%M}" if user.locked_until else ""
        console.print(f"{user.username}\t{user.display_name}\t{Role(user.role).label}\t{user.region_code or '全市'}\t{state}{locked}")


@user_group.command("disable", help="停用用户并立即结束其所有会话。")
@click.argument("username")
@friendly
def user_disable(username: str) -> None:
    from geo.auth import disable_user

    with db.session_factory(open_engine()).begin() as session:
        disable_user(session, username)
    console.print(f"已停用用户 {username}，其会话已全部结束。")


@main.group("import", help="导入数据：矛盾纠纷台账、信访事项台账、12345 工单（.xlsx/.csv），以及乡镇、村、网格边界。")
def import_group() -> None:
    pass


def _ledger_command(kind_value: str, label: str) -> None:
    @import_group.command(kind_value, help=f"导入{label}（.xlsx 或 .csv）；同一文件重复导入只会更新，不会重复。")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--crs", default="EPSG:4326", show_default=True,
                  help="经纬度列的坐标系：EPSG 代码（如 EPSG:4490）或 gcj02（网络地图坐标）。")
    @click.option("--dry-run", is_flag=True, help="只检查并报告，不写入数据库。")
    @click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="错误报告的保存位置（默认：文件旁的“<文件名>_错误报告.xlsx”）。")
    @click.option("--mapping", default=None, help="列对应：列对应文件（YAML/JSON）或已保存的列对应名称。"
                                                  "不指定时，表头相同的已保存列对应会自动使用。")
    @click.option("--area", default=None, help="按哪个地区（县区或乡镇代码）的已保存列对应读取；默认全市。")
    @friendly
    def command(file: Path, crs: str, dry_run: bool, report: Path | None, mapping: str | None, area: str | None) -> None:
        from dashboard.import_commands import ensure_schema, import_ledger
        from geo.models import ImportKind

        engine = open_engine()
        ensure_schema(engine, migrate_and_load_reference)
        import_ledger(console, engine, ImportKind(kind_value), file, crs, dry_run, report, mapping, area)


for _kind, _label in (("disputes", "矛盾纠纷台账"), ("petitions", "信访事项台账"), ("hotline", "12345热线工单")):
    _ledger_command(_kind, _label)


@import_group.group("mapping", help="列对应：台账的列名与导入模板不同时，指明每列对应哪个字段，保存后同样表头的文件自动使用。")
def mapping_group() -> None:
    pass


LEDGER_KINDS = click.Choice(["disputes", "petitions", "hotline"])


@mapping_group.command("show", help="列出台账文件每一列的样例和建议字段（可用 --output 写成列对应文件）；"
                                    "给出名称时显示已保存的列对应。")
@click.argument("target")
@click.option("--kind", type=LEDGER_KINDS, default="disputes", show_default=True, help="台账种类。")
@click.option("--area", default=None, help="地区代码（县区或乡镇）；默认全市。")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="写出列对应文件（YAML）。")
@friendly
def mapping_show(target: str, kind: str, area: str | None, output: Path | None) -> None:
    from dashboard.import_commands import ensure_schema, show_mapping
    from geo.models import ImportKind

    engine = open_engine()
    ensure_schema(engine, migrate_and_load_reference)
    show_mapping(console, engine, ImportKind(kind), target, area, output)


@mapping_group.command("save", help="把列对应文件保存为一个有名称的列对应（按地区），表头相同的台账导入时自动使用。")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--kind", type=LEDGER_KINDS, default="disputes", show_default=True, help="台账种类。")
@click.option("--area", default=None, help="地区代码（县区或乡镇）；默认全市。")
@friendly
def mapping_save(name: str, file: Path, kind: str, area: str | None) -> None:
    from dashboard.import_commands import ensure_schema, save_mapping
    from geo.models import ImportKind

    engine = open_engine()
    ensure_schema(engine, migrate_and_load_reference)
    save_mapping(console, engine, ImportKind(kind), name, file, area)


@import_group.command("template", help="生成空白导入模板（.xlsx，含填写说明）。")
@click.argument("kind", type=click.Choice(["disputes", "petitions", "hotline"]))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="保存位置。")
@friendly
def import_template(kind: str, output: Path | None) -> None:
    from dashboard.import_commands import write_template
    from geo.models import ImportKind

    write_template(console, ImportKind(kind), output)


@import_group.command("samples", help="用库中的演示数据生成三个台账的样例文件（默认写入 etl/samples/）。")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None, help="保存的文件夹。")
@friendly
def import_samples(output: Path | None) -> None:
    from dashboard.import_commands import write_samples

    write_samples(console, open_engine(), output)


@import_group.command("boundaries", help="导入乡镇、村（社区）或网格边界（GeoJSON、压缩的 Shapefile、GeoPackage）。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--level", type=click.Choice(["township", "village", "grid"]), required=True, help="边界的层级。")
@click.option("--crs", default=None, help="文件没有坐标系信息或坐标系有误时指明：EPSG 代码（如 EPSG:4490）或 gcj02。")
@click.option("--dry-run", is_flag=True, help="只检查并报告，不写入数据库。")
@click.option("--tolerance", type=float, default=5.0, show_default=True, help="检查超出上级、重叠和缝隙时的容差（米）。")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="检查报告（.xlsx）保存到哪里；默认在文件旁边，该文件夹不可写时在数据目录的 reports 下。")
@friendly
def import_boundaries(file: Path, level: str, crs: str | None, dry_run: bool, tolerance: float,
                      report: Path | None) -> None:
    from dashboard.import_commands import ensure_schema, import_boundary_file

    engine = open_engine()
    ensure_schema(engine, migrate_and_load_reference)
    import_boundary_file(console, engine, file, level, crs, dry_run, tolerance, report)


if __name__ == "__main__":
    main()
