"""Throwaway servers on loopback ports for the tests and the benches (neither imports the
other): a PostgreSQL cluster, a redis-server, a Redis Cluster, an in-process HTTP server."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Serve *server* (an in-process server bound to loopback) from a thread until the block
    ends, then shut it and its socket."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (held together while they are picked)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres() -> Iterator[str]:
    """Start initdb + pg_ctl in a temporary directory; yield a SQLAlchemy URL."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="lk-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data, log = root / "data", root / "log"
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*as_postgres, *cmd], check=True, capture_output=True, text=True
    )
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        # A database per test under the PostgreSQL switch: commands that never dispose of
        # their engines hold connections until the test's database is dropped.
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        opts += " -c max_connections=200"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", opts, "start")
        try:
            run(
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "listkeeper",
            )
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/listkeeper"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


REDIS_SERVER = Path("/usr/bin/redis-server")


@contextmanager
def _redis_node(port: int, *extra: str, cwd: Path | None = None) -> Iterator[Any]:
    """One ``redis-server`` on a loopback port, a child of the test session, until the
    block ends; yields a client once it answers."""
    import time

    import redis

    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [str(REDIS_SERVER), *args, *extra],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway ``redis-server`` on a free loopback port; yields its URL (database 0)."""
    port = free_port()
    with _redis_node(port):
        yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def redis_cluster(nodes: int = 3) -> Iterator[str]:
    """A throwaway Redis Cluster of ``nodes`` primaries on loopback ports, the hash slots
    shared out between them; yields a ``redis+cluster://`` URL naming its first node."""
    import time

    root = Path(tempfile.mkdtemp(prefix="lk-redis-cluster-"))
    # the bus port defaults to port + 10,000, past 65,535 for a high ephemeral port
    picked = free_ports(2 * nodes)
    ports, buses = picked[:nodes], picked[nodes:]
    try:
        with ExitStack() as stack:
            clients = []
            for port, bus in zip(ports, buses, strict=True):
                cluster = ["--cluster-enabled", "yes", "--cluster-port", str(bus)]
                cluster += ["--cluster-config-file", f"nodes-{port}.conf"]
                clients.append(stack.enter_context(_redis_node(port, *cluster, cwd=root)))
            # What `redis-cli --cluster create` does: share out the 16,384 slots, then meet.
            share = 16384 // nodes
            for i, client in enumerate(clients):
                last = 16383 if i == nodes - 1 else (i + 1) * share - 1
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * share, last)
            for port, bus in zip(ports[1:], buses[1:], strict=True):
                clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", port, bus)
            deadline = time.monotonic() + 20
            while any(
                b"cluster_state:ok" not in c.execute_command("CLUSTER", "INFO") for c in clients
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the Redis Cluster did not come up")
                time.sleep(0.1)
            yield f"redis+cluster://127.0.0.1:{ports[0]}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
