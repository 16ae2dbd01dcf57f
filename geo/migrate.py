"""Schema migrations (Alembic, with GeoAlchemy2's helpers) run from code, not from an ini file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.errors import DatabaseError
from geo.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
POSTGIS_OWNED_TABLES = {"spatial_ref_sys", "topology", "layer"}


def include_object(obj, name, obj_type, reflected, compare_to) -> bool:
    """Leave PostGIS's own tables alone; let GeoAlchemy2 handle spatial indexes."""
    if obj_type == "table" and name in POSTGIS_OWNED_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)


def autogenerate_options() -> dict:
    return {
        "target_metadata": Base.metadata,
        "include_object": include_object,
        "process_revision_directives": alembic_helpers.writer,
        "render_item": alembic_helpers.render_item,
        "compare_type": True,
    }


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` in one transaction."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            _check_owner(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except sa.exc.ProgrammingError as exc:
        if isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
            shown = engine.url.render_as_string(hide_password=True)
            raise DatabaseError(
                f"数据库 {shown} 的当前用户无权创建表或扩展（{str(exc.orig).strip().splitlines()[0]}）："
                "请让管理员执行 CREATE EXTENSION postgis; CREATE EXTENSION btree_gist; 并授予建表权限。"
            ) from exc
        raise


def _check_owner(connection) -> None:
    """The owner loads and imports with COPY, which row-level security forbids: it must be exempt from RLS."""
    user, exempt = connection.execute(sa.text(
        "SELECT rolname, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    if not exempt:
        raise DatabaseError(
            f"数据库用户 {user} 既不是超级用户，也没有 BYPASSRLS 属性：fengqiao 以属主身份用 COPY 装载和导入数据，"
            f"而这些表受行级安全保护。请让管理员执行 ALTER ROLE {user} BYPASSRLS;（仪表盘本身以 fengqiao_app 角色连接，"
            "受行级安全约束）。")


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_drift(engine: Engine) -> list:
    """Differences between the models and the migrated database (empty when they agree)."""
    options = autogenerate_options()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": options["include_object"]},
        )
        return compare_metadata(context, Base.metadata)
