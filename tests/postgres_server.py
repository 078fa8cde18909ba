"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder.

It listens on 127.0.0.1 on a free port, with password authentication, and is
removed afterwards. As root (CI), the server runs as the ``postgres`` user that
Debian's package creates, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER, PASSWORD = "digitpad", "s3cret-pw"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    assert found, f"PostgreSQL's {name} is not installed (.ci/run installs Debian's postgresql)"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://digitpad:…@127.0.0.1:PORT/postgres`` of a server started for the tests."""
    # Not under pytest's temporary root: that is private to the user running the tests.
    folder = Path(tempfile.mkdtemp(prefix="digitpad-postgres-"))
    data, socket_dir, pwfile = folder / "data", folder / "socket", folder / "pw"
    socket_dir.mkdir()
    pwfile.write_text(PASSWORD)
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
        shutil.chown(socket_dir, "postgres")
        shutil.chown(pwfile, "postgres")
        os.chmod(folder, 0o755)
    port = _free_port()

    def run(*args):
        return subprocess.run(
            [*as_user, *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )

    run(
        _binary("initdb"),
        "-D",
        str(data),
        "-U",
        USER,
        "--pwfile",
        str(pwfile),
        "--auth",
        "scram-sha-256",
        "-E",
        "UTF8",
        "--no-sync",
    )
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    try:
        yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        run(_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def new_database(postgres_url: str):
    """Factory: ``new_database(name)`` → the URL of a fresh, empty database on the server."""
    import psycopg

    def make(name: str) -> str:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return postgres_url.rsplit("/", 1)[0] + f"/{name}"

    return make
