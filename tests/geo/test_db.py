"""The embedded cluster's life cycle and the one-sentence errors for bad configuration."""

import os
import pwd
import shutil
import socket
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo import db
from geo.errors import DatabaseError
from tests.conftest import ROOT


@pytest.fixture
def cluster():
    # Under var/ (not /tmp/pytest-of-root, mode 0700) so that the postgres user can enter it as root.
    root = ROOT / "var" / "test-clusters" / uuid.uuid4().hex[:8]
    cluster = db.LocalCluster(root / "pg", unsafe_fast=True)
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_an_unreachable_data_folder_is_explained(tmp_path):
    if os.geteuid() == 0:
        target = tmp_path / "pg"  # /tmp/pytest-of-root is 0700: postgres cannot enter it
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked
    with pytest.raises(DatabaseError, match="用户无法写入数据目录"):
        db.LocalCluster(target).start()


def test_cluster_starts_on_demand_reuses_itself_and_stops(cluster):
    assert not cluster.status().running and not cluster.is_initialised()
    url = cluster.start()
    state = cluster.status()
    assert state.running and state.port == int(url.query["port"])
    assert cluster.start() == url  # a second start reuses the running server
    engine = db.make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_setting('listen_addresses')")).scalar() == ""
        assert conn.execute(sa.text("SELECT current_database()")).scalar() == db.DB_NAME
    assert "PostGIS" not in db.check_database(engine)  # available, created by migrate
    engine.dispose()
    assert cluster.stop() is True
    assert cluster.stop() is False
    assert cluster.start(int(url.query["port"])) == url  # restart on the remembered port


def test_second_start_on_another_port_is_refused(cluster):
    cluster.start()
    with pytest.raises(DatabaseError, match="已在端口"):
        cluster.start(port=cluster.status().port + 1)


def test_a_port_in_use_is_refused_with_a_sentence(cluster):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(DatabaseError, match=f"端口 {busy.getsockname()[1]} 已被占用"):
            cluster.start(port=busy.getsockname()[1])


def test_a_data_folder_owned_by_someone_else_is_refused(cluster):
    if os.geteuid() == 0:
        cluster.root.mkdir(parents=True)
        stranger = pwd.getpwnam("nobody")
        os.chown(cluster.root, stranger.pw_uid, stranger.pw_gid)
        cluster, owner = db.LocalCluster(cluster.root), "nobody"
    else:
        cluster, owner = db.LocalCluster(Path("/etc")), "root"
    with pytest.raises(DatabaseError, match=f"属于用户 {owner}"):
        cluster.start()


@pytest.mark.parametrize("raw, message", [
    ("not a url", "无法解析"),
    ("mysql://u:p@localhost/x", "必须指向 PostgreSQL"),
])
def test_unparseable_database_urls_get_a_sentence(raw, message):
    with pytest.raises(DatabaseError, match=message):
        db.parse_url(raw)


def test_unreachable_database_gets_a_sentence_without_the_password():
    engine = db.make_engine(db.parse_url("postgresql://someone:secret@127.0.0.1:1/nowhere"))
    with pytest.raises(DatabaseError, match="无法连接数据库") as caught:
        db.check_database(engine)
    assert "secret" not in str(caught.value)


def test_database_url_never_starts_a_server_when_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@example.invalid/x")
    monkeypatch.setenv("FENGQIAO_DATA_DIR", str(tmp_path))
    url = db.database_url()
    assert url.drivername == "postgresql+psycopg" and url.host == "example.invalid"
    assert not (tmp_path / "pg").exists()
