"""A throwaway PostgreSQL cluster for the test session.

Usage (normally through the fixtures in ``tests/conftest.py``)::

    url = start_postgres()          # SQLAlchemy URL of database ``rehab_test``, or None
    other = create_database(url, "rehab_t_1234abcd")
    drop_database(url, "rehab_t_1234abcd")
    stop_postgres()

If ``REHAB_TEST_POSTGRES_URL`` is set, that server is used as is and nothing is
started or stopped.  Otherwise ``initdb``/``pg_ctl`` are looked up (newest
``/usr/lib/postgresql/*/bin`` first, then ``PATH``); if they are missing,
``start_postgres()`` returns ``None`` and the caller decides whether to skip or
fail.  PostgreSQL refuses to run as root, so when we are root the server runs
as the ``postgres`` OS user (via ``runuser``).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ENV_URL = "REHAB_TEST_POSTGRES_URL"
DEFAULT_DB = "rehab_test"
SUPERUSER = "postgres"
OS_USER = "postgres"
START_ATTEMPTS = 3

# libpq variables that could redirect our tools to some other server.
_PG_ENV_VARS = ("PGDATA", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGOPTIONS")


@dataclass
class _Cluster:
    bin_dir: Path
    root: Path  # temp dir: holds data/, the unix socket and server.log
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"


_cluster: _Cluster | None = None
_url: str | None = None


# --------------------------------------------------------------------------- public API


def start_postgres(preload: tuple[str, ...] = ()) -> str | None:
    """Start (once) a throwaway cluster and return the SQLAlchemy URL of ``rehab_test``.

    ``preload``: server libraries to load at start (``shared_preload_libraries``), e.g. the bench's
    ``pg_stat_statements``; only for a cluster this call starts.

    Returns ``None`` when no PostgreSQL server binaries can be found.
    Raises ``RuntimeError`` when binaries exist but the server cannot be started.
    """
    global _url
    if _url is not None:
        return _url
    external = os.environ.get(ENV_URL)
    if external:
        _url = external
        return _url
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return None
    cluster = _start_cluster(bin_dir, preload)
    base = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{cluster.port}/postgres"
    _url = create_database(base, DEFAULT_DB)
    return _url


def data_dir() -> Path:
    """The data directory of the cluster `start_postgres` started (its postmaster.pid names the server)."""
    if _cluster is None:
        raise RuntimeError("no cluster started by start_postgres()")
    return _cluster.data_dir


def stop_postgres() -> None:
    """Stop the cluster started by ``start_postgres`` and delete its files (idempotent)."""
    global _cluster, _url
    cluster, _cluster, _url = _cluster, None, None
    if cluster is None:
        return
    try:
        if (cluster.data_dir / "postmaster.pid").exists():
            _run_pg(
                cluster.bin_dir,
                "pg_ctl",
                "-D",
                str(cluster.data_dir),
                "-m",
                "immediate",
                "-w",
                "stop",
                cwd=cluster.root,
                check=False,
            )
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


def create_database(base_url: str, name: str, template: str | None = None) -> str:
    """Create an empty database ``name`` (or a copy of database ``template``, which nobody may be connected to)
    on the server of ``base_url``; return its SQLAlchemy URL."""
    _check_db_name(name)
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        _check_db_name(template)
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    with _admin_connection(base_url) as conn:
        conn.execute(statement)
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, name: str) -> None:
    """Drop database ``name`` (if it exists), terminating any sessions still connected to it."""
    _check_db_name(name)
    with _admin_connection(base_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def find_bin_dir() -> Path | None:
    """Directory holding ``initdb`` and ``pg_ctl``: newest /usr/lib/postgresql/N/bin, else PATH."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.name))

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if _has_server_tools(Path(candidate)):
            return Path(candidate)
    on_path = shutil.which("pg_ctl")
    if on_path:
        bin_dir = Path(on_path).resolve().parent
        if _has_server_tools(bin_dir):
            return bin_dir
    return None


# --------------------------------------------------------------------------- cluster lifecycle


def _start_cluster(bin_dir: Path, preload: tuple[str, ...] = ()) -> _Cluster:
    global _cluster
    root = _make_root_dir()
    cluster = _Cluster(bin_dir=bin_dir, root=root, port=0)
    _cluster = cluster  # from here on, stop_postgres() cleans up whatever exists
    try:
        _initdb(cluster)
        last_error = ""
        for _ in range(START_ATTEMPTS):  # the free port may be taken between probe and bind
            cluster.port = _free_port()
            result = _pg_ctl_start(cluster, preload)
            if result.returncode == 0:
                return cluster
            last_error = result.stdout + result.stderr + _tail(cluster.log_file)
        raise RuntimeError(f"could not start PostgreSQL from {bin_dir}:\n{last_error}")
    except BaseException:
        stop_postgres()
        raise


def _make_root_dir() -> Path:
    # When root, the postgres user must be able to reach the directory: use /tmp, not
    # a TMPDIR that might live under /root.
    parent = "/tmp" if _need_runuser() and os.path.isdir("/tmp") else None
    root = Path(tempfile.mkdtemp(prefix="rehab-pg-", dir=parent))
    if _need_runuser():
        pw = _postgres_pwent()
        os.chown(root, pw.pw_uid, pw.pw_gid)
    return root


def _initdb(cluster: _Cluster) -> None:
    errors = []
    for locale in ("C.UTF-8", "C"):
        shutil.rmtree(cluster.data_dir, ignore_errors=True)
        result = _run_pg(
            cluster.bin_dir,
            "initdb",
            "-D",
            str(cluster.data_dir),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--encoding=UTF8",
            f"--locale={locale}",
            "--no-sync",
            cwd=cluster.root,
            check=False,
        )
        if result.returncode == 0:
            return
        errors.append(f"--- initdb --locale={locale} ---\n{result.stdout}{result.stderr}")
    raise RuntimeError("initdb failed:\n" + "\n".join(errors))


def _pg_ctl_start(cluster: _Cluster, preload: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    options = " ".join(
        [
            *([f"-c shared_preload_libraries={','.join(preload)}"] if preload else []),
            f"-k {shlex.quote(str(cluster.root))}",
            f"-p {cluster.port}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
        ]
    )
    # -l: the postmaster must not inherit our stdout/stderr pipes, or run() would wait forever.
    return _run_pg(
        cluster.bin_dir,
        "pg_ctl",
        "-D",
        str(cluster.data_dir),
        "-l",
        str(cluster.log_file),
        "-o",
        options,
        "-w",
        "-t",
        "60",
        "start",
        cwd=cluster.root,
        check=False,
    )


# --------------------------------------------------------------------------- helpers


def _run_pg(bin_dir: Path, tool: str, *args: str, cwd: Path, check: bool) -> subprocess.CompletedProcess[str]:
    cmd = [str(bin_dir / tool), *args]
    if _need_runuser():
        cmd = ["runuser", "-u", OS_USER, "--", *cmd]
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV_VARS}
    if _need_runuser():
        env["HOME"] = str(cwd)
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def _admin_connection(base_url: str) -> psycopg.Connection:
    url = make_url(base_url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, connect_timeout=10)


def _check_db_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise ValueError(f"unsafe test database name: {name!r}")


def _need_runuser() -> bool:
    return os.geteuid() == 0


def _postgres_pwent() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        raise RuntimeError(
            f"running as root but there is no {OS_USER!r} OS user to run PostgreSQL as "
            "(install the postgresql package, or run the tests as a normal user)"
        ) from None


def _has_server_tools(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# A crash or Ctrl-C must not leave a postmaster behind.
atexit.register(stop_postgres)
