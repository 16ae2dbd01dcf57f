"""A real PostGIS for every test: a throwaway embedded cluster (or TEST_DATABASE_URL), never a mock.

A template database is migrated and given the reference geography once per run; each pytest
worker gets its own copy. ``session`` wraps a test in a transaction that is rolled back;
``fresh_db_url`` gives a test its own database when the code under test commits.
When no database can be had the fixtures raise: the run fails, it never skips.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from filelock import FileLock
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from etl.reference import REFERENCE
from geo import db, migrate

ROOT = Path(__file__).resolve().parent.parent


def _template_name() -> str:
    """Changes whenever migrations or reference data change, so a stale template is never reused."""
    digest = hashlib.sha1()
    for path in sorted([*migrate.MIGRATIONS.rglob("*.py"), *REFERENCE.iterdir()]):
        digest.update(path.read_bytes())
    return f"fq_template_{digest.hexdigest()[:12]}"


def _server_url() -> URL:
    raw = os.environ.get("TEST_DATABASE_URL")
    if raw:
        return db.parse_url(raw)
    cluster = db.LocalCluster(Path(os.environ.get("FENGQIAO_TEST_DATA_DIR", ROOT / "var" / "pg-test")), unsafe_fast=True)
    return cluster.start()


def _admin(url: URL) -> psycopg.Connection:
    return psycopg.connect(**db._psycopg_args(url.set(database="postgres")), autocommit=True)


def _create_from_template(server: URL, template: str, name: str) -> URL:
    with _admin(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return server.set(database=name)


def _drop(server: URL, name: str) -> None:
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> URL:
    lock_dir = tmp_path_factory.getbasetemp().parent
    with FileLock(str(lock_dir / "fengqiao-db.lock")):
        server = _server_url()
        template = _template_name()
        with _admin(server) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{template}"')
        if not exists:
            engine = db.make_engine(server.set(database=template))
            from etl.reference import load_reference

            migrate.upgrade(engine)
            with db.session_factory(engine).begin() as session:
                load_reference(session)
            engine.dispose()
    return server.set(database=template)


def _copy_of(template: URL, prefix: str):
    """Yield the URL of a new copy of ``template``; drop the copy when resumed."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    yield _create_from_template(template, template.database, name)
    _drop(template, name)


def _engine_on_copy(template: URL, prefix: str):
    copy = _copy_of(template, prefix)
    engine = db.make_engine(next(copy))
    yield engine
    engine.dispose()
    next(copy, None)


@pytest.fixture(scope="session")
def engine(server_url):
    """An engine on this worker's own copy of the template, dropped at the end of the run."""
    yield from _engine_on_copy(server_url, "fq_test")


def _rolled_back(engine):
    """A session inside a transaction that is rolled back at the end (commits become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def session(engine) -> Session:
    """A session on the reference geography only, rolled back after the test."""
    yield from _rolled_back(engine)


@pytest.fixture
def fresh_db_url(server_url) -> URL:
    """A database of the test's own (migrated, reference geography loaded), dropped afterwards."""
    yield from _copy_of(server_url, "fq_fresh")


def _demo_template_name(base: str) -> str:
    digest = hashlib.sha1(base.encode())
    for path in sorted((ROOT / "etl" / "demo").glob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return f"fq_demo_{digest.hexdigest()[:12]}"


DEMO_SEED = 2023


@pytest.fixture(scope="session")
def demo_template_url(server_url, tmp_path_factory) -> URL:
    """A template with the small demo data set loaded (seed ``DEMO_SEED``), made once per run."""
    name = _demo_template_name(server_url.database)
    lock_dir = tmp_path_factory.getbasetemp().parent
    with FileLock(str(lock_dir / "fengqiao-demo.lock")):
        with _admin(server_url) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            from etl.demo.load import load_demo

            building = f"{name}_building"
            _drop(server_url, building)
            url = _create_from_template(server_url, server_url.database, building)
            engine = db.make_engine(url)
            with db.session_factory(engine).begin() as session:
                load_demo(session, seed=DEMO_SEED, scale="small")
            engine.dispose()
            with _admin(server_url) as conn:
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return server_url.set(database=name)


@pytest.fixture(scope="session")
def demo_engine(demo_template_url):
    """This worker's read-mostly copy of the small demo data set."""
    yield from _engine_on_copy(demo_template_url, "fq_demo_test")


@pytest.fixture
def demo_session(demo_engine) -> Session:
    """A session on the demo data, rolled back after the test."""
    yield from _rolled_back(demo_engine)


@pytest.fixture
def fresh_demo_db_url(demo_template_url) -> URL:
    """A database of the test's own holding the small demo data set, dropped afterwards."""
    yield from _copy_of(demo_template_url, "fq_fresh_demo")


@pytest.fixture(scope="session")
def demo_app_engine(demo_engine):
    """The demo copy as the application role sees it (row-level security applies)."""
    engine = db.make_engine(db.app_url(demo_engine.url))
    yield engine
    engine.dispose()


@pytest.fixture
def as_user(demo_app_engine):
    """``as_user(principal)``: a session on the demo copy as the application role, under ``principal``'s
    scopes (None: no scopes at all), inside a transaction rolled back after the test."""
    from geo.access import apply_scope

    opened = []

    def open_as(principal) -> Session:
        connection = demo_app_engine.connect()
        transaction = connection.begin()
        apply_scope(connection, principal)
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        opened.append((session, transaction, connection))
        return session

    yield open_as
    for session, transaction, connection in opened:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def dashboard_on(monkeypatch):
    """Point the dashboard's lazily created engines (and its geometry cache) at a test database."""
    from dashboard import database, geometry

    def use(url: URL) -> None:
        monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
        database.clear()
        geometry._geometry.cache_clear()

    yield use
    database.clear()
    geometry._geometry.cache_clear()


@pytest.fixture
def signed_in():
    """``signed_in(principal)``: serve the rest of the test as that user (what the sign-in hook sets per request)."""
    from geo import access

    tokens = []

    def use(principal) -> None:
        tokens.append(access.CURRENT.set(principal))

    yield use
    for token in reversed(tokens):
        access.CURRENT.reset(token)


def audit_entries(session: Session, username: str) -> list:
    """``username``'s audit log entries, read back in ``session``'s own transaction as an administrator's
    transaction would (row-level security lets only the audit scope read the log)."""
    from sqlalchemy import select, text

    from geo.access import CITY_PREFIX
    from geo.models import AuditLog

    session.execute(text("SELECT set_config('fengqiao.audit_scope', :scope, true)"), {"scope": CITY_PREFIX})
    return list(session.scalars(select(AuditLog).where(AuditLog.username == username).order_by(AuditLog.id)))
