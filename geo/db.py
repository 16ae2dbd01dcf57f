"""The database in use: ``DATABASE_URL`` when set, otherwise an embedded local PostgreSQL + PostGIS.

The embedded cluster lives under a data folder (``FENGQIAO_DATA_DIR``, default ``var/`` in the
checkout), listens only on a Unix socket in that folder (no TCP listener; the free port it picks
names the socket), and runs as the ``postgres`` system user when started by root, since PostgreSQL
refuses to run as root. Nothing here opens a connection at import time.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from geo.errors import DatabaseError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "fengqiao"
SUPERUSER = "postgres"
PG_VERSIONS = ("15", "16", "17")
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "'256MB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'4GB'",
    "synchronous_commit": "off",
    "timezone": "'Asia/Shanghai'",
    "log_min_messages": "warning",
}
FAST_UNSAFE_SETTINGS = {"fsync": "off", "full_page_writes": "off"}
"""For throwaway test clusters only: a crash may lose data, which a test cluster can afford."""


def data_dir() -> Path:
    """The folder holding the embedded cluster: ``FENGQIAO_DATA_DIR`` or ``var/`` in the checkout."""
    configured = os.environ.get("FENGQIAO_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    base = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd()
    return base / "var"


def find_pg_bin() -> Path:
    """The bin folder of an installed PostgreSQL server that has PostGIS available."""
    configured = os.environ.get("FENGQIAO_PG_BIN")
    candidates = [Path(configured)] if configured else [Path(f"/usr/lib/postgresql/{v}/bin") for v in PG_VERSIONS]
    for bindir in candidates:
        version = bindir.parent.name
        if (bindir / "initdb").exists() and Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return bindir
    raise DatabaseError(
        "找不到带 PostGIS 的 PostgreSQL 服务端：请安装 postgresql-15-postgis-3"
        "（sudo apt-get install postgresql-15-postgis-3），或设置 DATABASE_URL 指向已有的 PostGIS 数据库。"
    )


def _is_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ClusterStatus:
    running: bool
    pgdata: Path
    port: int | None
    socket_dir: Path
    pid: int | None


@dataclass(frozen=True)
class LocalCluster:
    """A PostgreSQL cluster under ``root`` that this process may create, start and stop."""

    root: Path
    unsafe_fast: bool = False

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def socket_dir(self) -> Path:
        """``root/run``, or a short folder under /tmp when that path is too long for a socket."""
        preferred = self.root / "run"
        if len(str(preferred / ".s.PGSQL.65535")) < 100:
            return preferred
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"fengqiao-{digest}"

    @property
    def server_user(self) -> str:
        """The system user the server runs as: ``postgres`` when we are root, else ourselves."""
        return SUPERUSER if os.geteuid() == 0 else getpass.getuser()

    def _as_server_user(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args
        runuser = shutil.which("runuser")
        if runuser is None:
            raise DatabaseError("以 root 运行时需要 runuser（util-linux）来以 postgres 用户启动数据库。")
        return [runuser, "-u", SUPERUSER, "--", *args]

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._as_server_user(args), capture_output=True, text=True, check=False)

    def _prepare_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except PermissionError as exc:
            raise DatabaseError(f"无法创建数据目录 {folder}（没有权限）：请用 FENGQIAO_DATA_DIR 指定一个可写的目录。") from exc
        try:
            server = pwd.getpwnam(self.server_user)
        except KeyError as exc:
            raise DatabaseError(
                f"系统中没有用户 {self.server_user}：以 root 运行时请先安装 postgresql-15-postgis-3（它会创建 postgres 用户）。"
            ) from exc
        owner = folder.stat().st_uid
        if owner == 0 and os.geteuid() == 0 and server.pw_uid != 0:
            os.chown(folder, server.pw_uid, server.pw_gid)  # a folder root just made, handed to postgres
        elif owner != server.pw_uid:
            raise DatabaseError(
                f"数据目录 {folder} 属于用户 {_user_name(owner)}，而数据库以 {self.server_user} 身份运行："
                "请换一个数据目录（FENGQIAO_DATA_DIR）或修正目录所有者。"
            )
        if self._run(["test", "-w", str(folder)]).returncode != 0:
            raise DatabaseError(
                f"{self.server_user} 用户无法写入数据目录 {folder}（上级目录不可进入？）："
                "请把 FENGQIAO_DATA_DIR 指向它能访问的目录，例如 /var/tmp/fengqiao。"
            )

    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster if it does not exist yet (idempotent)."""
        bindir = find_pg_bin()
        self._prepare_folder(self.root)
        if self.is_initialised():
            return
        self._prepare_folder(self.pgdata)
        result = self._run([
            str(bindir / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-instructions",
        ])
        if result.returncode != 0:
            raise DatabaseError(f"初始化数据库目录 {self.pgdata} 失败：{_last_line(result.stderr)}")
        settings = SERVER_SETTINGS | (FAST_UNSAFE_SETTINGS if self.unsafe_fast else {})
        lines = [f"{key} = {value}" for key, value in settings.items()]
        lines.append(f"unix_socket_directories = '{self.socket_dir}'")
        conf = "\n# fengqiao\n" + "\n".join(lines) + "\n"
        with open(self.pgdata / "postgresql.conf", "a", encoding="utf-8") as handle:
            handle.write(conf)

    def status(self) -> ClusterStatus:
        pid_file = self.pgdata / "postmaster.pid"
        pid = port = None
        running = False
        if pid_file.exists():
            lines = pid_file.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
            running = Path(f"/proc/{pid}").exists()
        return ClusterStatus(running, self.pgdata, port if running else None, self.socket_dir, pid if running else None)

    def start(self, port: int | None = None) -> URL:
        """Start the cluster (creating it first if needed) and return its URL; no-op if running."""
        current = self.status()
        if current.running:
            if port is not None and port != current.port:
                raise DatabaseError(f"内置数据库已在端口 {current.port} 运行：要换端口请先 `fengqiao db stop`。")
            return self.url(current.port)
        self.init()
        self._prepare_folder(self.socket_dir)
        port = port or self._remembered_port() or _pick_free_port()
        if not _is_port_free(port) or (self.socket_dir / f".s.PGSQL.{port}").exists():
            if port == self._remembered_port():
                port = _pick_free_port()
            else:
                raise DatabaseError(f"端口 {port} 已被占用：请换一个端口，或不指定端口让 fengqiao 自动选择。")
        bindir = find_pg_bin()
        self._prepare_log()
        result = self._run([
            str(bindir / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log_file), "-w", "-t", "60",
            "-o", f"-p {port}", "start",
        ])
        if result.returncode != 0:
            raise DatabaseError(f"内置数据库启动失败：{self._log_tail()}（完整日志见 {self.log_file}）")
        self.state_file.write_text(json.dumps({"port": port}))
        url = self.url(port)
        _ensure_database(url)
        return url

    def stop(self) -> bool:
        """Stop the cluster; returns False when it was not running."""
        if not self.status().running:
            return False
        result = self._run([str(find_pg_bin() / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
        if result.returncode != 0:
            raise DatabaseError(f"停止内置数据库失败：{_last_line(result.stderr)}")
        return True

    def url(self, port: int | None, database: str = DB_NAME) -> URL:
        return URL.create(
            "postgresql+psycopg", username=SUPERUSER, database=database,
            query={"host": str(self.socket_dir), "port": str(port)},
        )

    def _remembered_port(self) -> int | None:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text()).get("port")
        return None

    def _prepare_log(self) -> None:
        if not self.log_file.exists():
            self.log_file.touch()
        server = pwd.getpwnam(self.server_user)
        if os.geteuid() == 0:
            os.chown(self.log_file, server.pw_uid, server.pw_gid)

    def _log_tail(self) -> str:
        lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1] if lines else "没有日志输出"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "未知原因"


def _ensure_database(url: URL) -> None:
    """Create the application database in a freshly started cluster if it is missing."""
    admin = url.set(database="postgres")
    with psycopg.connect(**_psycopg_args(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{url.database}"')


def _psycopg_args(url: URL) -> dict:
    args = {"dbname": url.database, "user": url.username, **url.query}
    if url.host:
        args["host"] = url.host
    if url.port:
        args["port"] = url.port
    if url.password:
        args["password"] = url.password
    return args


def local_cluster() -> LocalCluster:
    return LocalCluster(data_dir() / "pg")


def configured_url() -> URL | None:
    """The URL from ``DATABASE_URL`` (normalised to psycopg 3), or None when it is not set."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    return parse_url(raw) if raw else None


def parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except sa.exc.ArgumentError as exc:
        raise DatabaseError(f"数据库地址无法解析：{raw!r}。正确的形式如 postgresql://用户:密码@主机:5432/库名。") from exc
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise DatabaseError(f"数据库地址必须指向 PostgreSQL + PostGIS，而不是 {url.get_backend_name()}。")
    return url.set(drivername="postgresql+psycopg")


def database_url(start: bool = True) -> URL:
    """The database in use: ``DATABASE_URL``, or the embedded cluster (started on demand)."""
    url = configured_url()
    if url is not None:
        return url
    cluster = local_cluster()
    if start:
        return cluster.start()
    state = cluster.status()
    if not state.running:
        raise DatabaseError("内置数据库没有运行：请先执行 `fengqiao db start`。")
    return cluster.url(state.port)


APP_ROLE = "fengqiao_app"
"""The login role the dashboard connects as (created by migration 0007): owns nothing, cannot bypass RLS."""


def app_url(owner: URL) -> URL:
    """The dashboard's own connection: ``FENGQIAO_APP_DATABASE_URL``, else the owner's with the app role.

    The embedded cluster trusts its socket; on another server set ``FENGQIAO_APP_PASSWORD`` before
    ``fengqiao db migrate`` (it becomes the role's password) and when serving.
    """
    raw = os.environ.get("FENGQIAO_APP_DATABASE_URL", "").strip()
    if raw:
        return parse_url(raw)
    return owner.set(username=APP_ROLE, password=os.environ.get("FENGQIAO_APP_PASSWORD") or None)


def make_engine(url: URL | str, **kwargs) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def check_database(engine: Engine) -> str:
    """Connect and confirm PostGIS is available; returns the PostGIS version."""
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")).scalar()
            available = conn.execute(
                sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).scalar()
    except sa.exc.OperationalError as exc:
        reason = _last_line(str(exc.orig)) if exc.orig is not None else str(exc)
        raise DatabaseError(
            f"无法连接数据库 {shown}：{reason}。请检查 DATABASE_URL，或取消它以使用内置数据库。"
        ) from exc
    if version is None and not available:
        raise DatabaseError(f"数据库 {shown} 没有安装 PostGIS 扩展：请在服务器上安装 PostGIS 3（postgresql-15-postgis-3）。")
    return version or "未创建（执行 fengqiao db migrate 会创建）"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
