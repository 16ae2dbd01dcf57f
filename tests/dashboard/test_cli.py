"""The ``fengqiao`` command: one sentence per failure, no traceback; real work on a real database."""

import sqlalchemy as sa
from click.testing import CliRunner

from dashboard.cli import main
from geo import db


def run(args, env):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_db_url_prints_the_configured_database(fresh_db_url):
    shown = fresh_db_url.render_as_string(hide_password=False)
    result = run(["db", "url"], {"DATABASE_URL": shown})
    assert result.exit_code == 0 and result.output.strip() == shown


def test_db_migrate_and_status_on_a_configured_database(fresh_db_url):
    env = {"DATABASE_URL": fresh_db_url.render_as_string(hide_password=False)}
    result = run(["db", "migrate"], env)
    assert result.exit_code == 0, result.output
    assert "村（社区） 3474" in result.output
    status = run(["db", "status"], env)
    assert status.exit_code == 0 and "使用 DATABASE_URL" in status.output and "PostGIS 3" in status.output
    assert run(["db", "start"], env).output.startswith("已设置 DATABASE_URL")


def test_a_wrong_database_url_gets_one_sentence_and_exit_status_1():
    result = CliRunner().invoke(main, ["db", "status"], env={"DATABASE_URL": "postgresql://x:pw@127.0.0.1:1/none"})
    assert result.exit_code == 1
    assert "无法连接数据库" in result.output and "Traceback" not in result.output and "pw@" not in result.output


def test_migrate_upgrades_an_empty_database(server_url):
    from tests.conftest import _admin, _drop

    with _admin(server_url) as conn:
        conn.execute("CREATE DATABASE fq_cli_empty")
    try:
        url = server_url.set(database="fq_cli_empty")
        result = run(["db", "migrate"], {"DATABASE_URL": url.render_as_string(hide_password=False)})
        assert result.exit_code == 0, result.output
        engine = db.make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM region WHERE geom IS NOT NULL")).scalar() == 10
        engine.dispose()
    finally:
        _drop(server_url, "fq_cli_empty")
