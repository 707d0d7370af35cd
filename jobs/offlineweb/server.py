"""`OfflineWeb`: the offline web's servers, run on an asyncio loop in a background thread.

    with OfflineWeb(web, tls=True) as ow:
        ow.url("blog.test", "/feed.xml")      # http://127.77.0.1:PORT/feed.xml
        ow.url("secure.test", "/", scheme="https", by_name=True)
        ow.stats()["by_url"]

Ports: `port` serves HTTP for every host (bound to 0.0.0.0, so any 127.x.y.z reaches it;
other addresses are dropped); `tls_port` (when `tls=True`) serves the same hosts over TLS
with certificates from a test CA (`ca_pem`); `refused_port` is bound but never listens, so
connections to it are refused: `url()` points hosts with `refuse=True` there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import shutil
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from .handler import Handler
from .spec import Web, is_ip
from .stats import Stats
from .tls import TestPKI

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class OfflineWeb:
    """Serve `web` on loopback until `stop()` (or the end of a `with` block)."""

    def __init__(
        self,
        web: Web,
        *,
        port: int = 0,
        tls: bool = False,
        tls_port: int = 0,
        bind: str = "0.0.0.0",
    ) -> None:
        self.web = web
        self.stats_store = Stats()
        self.port = port
        self.tls_enabled = tls
        self.tls_port = tls_port
        self.refused_port = 0
        self.bind = bind
        self.ca_pem: Path | None = None
        self.pki: TestPKI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._handler: Handler | None = None
        self._refused: socket.socket | None = None
        self._tmpdir: str | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> OfflineWeb:
        if self._thread is not None:
            raise RuntimeError("already started")
        self.web.finalize()
        self._refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refused.bind((self.bind, 0))  # bound, never listening: connections are refused
        self.refused_port = self._refused.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="offlineweb", daemon=True
        )
        self._thread.start()
        try:
            self._call(self._astart(), START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
                self._call(self._astop(), STOP_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STOP_TIMEOUT)
        if loop is not None and not loop.is_running():
            loop.close()
        if self._refused is not None:
            self._refused.close()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        self._loop = self._thread = self._refused = None
        self._tmpdir = None
        self._servers = []

    def __enter__(self) -> OfflineWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, coro: Any, timeout: float) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _astart(self) -> None:
        subs = {"{port}": str(self.port), "{refused_port}": str(self.refused_port)}
        # The handler needs the ports for {port} substitution: bind the sockets first.
        plain = _listening_socket(self.bind, self.port)
        self.port = plain.getsockname()[1]
        subs["{port}"] = str(self.port)
        tls_sock = None
        if self.tls_enabled:
            tls_sock = _listening_socket(self.bind, self.tls_port)
            self.tls_port = tls_sock.getsockname()[1]
        subs["{tls_port}"] = str(self.tls_port)
        loop = asyncio.get_running_loop()
        self._handler = await loop.run_in_executor(
            None, lambda: Handler(self.web, self.stats_store, subs)
        )
        self._servers.append(await asyncio.start_server(self._handler, sock=plain, backlog=1024))
        if tls_sock is not None:
            ctx = await loop.run_in_executor(None, self._tls_context)
            self._servers.append(
                await asyncio.start_server(
                    self._handler, sock=tls_sock, ssl=ctx, ssl_handshake_timeout=10, backlog=1024
                )
            )

    async def _astop(self) -> None:
        for server in self._servers:
            server.close()
        if self._handler is not None:
            for writer in list(self._handler.writers):
                writer.transport.abort()
        for server in self._servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), STOP_TIMEOUT / 2)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT / 2)

    def _tls_context(self) -> ssl.SSLContext:
        self._tmpdir = tempfile.mkdtemp(prefix="offlineweb-tls-")
        dns = self.web.dns_map()
        valid_names = [
            name
            for name, address in dns.items()
            if self._tls_mode(address) == "valid" and not is_ip(name)
        ]
        self.pki = TestPKI(
            sorted(valid_names) or ["localhost"],
            [h.address for h in self.web.hosts.values() if h.address],
            Path(self._tmpdir),
        )
        self.ca_pem = self.pki.ca_pem
        contexts = {mode: self.pki.server_context(mode) for mode in ("expired", "wrong_host")}
        default = self.pki.server_context("valid")

        def pick(sslobj: Any, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            mode = self._tls_mode(dns.get((server_name or "").lower(), ""))
            if mode in contexts:
                sslobj.context = contexts[mode]

        default.sni_callback = pick
        return default

    def _tls_mode(self, address: str) -> str:
        for host in self.web.hosts.values():
            if host.address == address:
                return host.tls
        return "valid"

    # helpers -------------------------------------------------------------------------------
    def url(
        self, host: str, path: str = "/", *, scheme: str = "http", by_name: bool = False
    ) -> str:
        """URL of `path` on the host keyed or named `host` (or an address literal). The
        authority is the host's address unless `by_name` (then a client needs the stub DNS)."""
        if not path.startswith("/"):
            path = "/" + path
        key = host.lower() if not is_ip(host) else host
        address = key if is_ip(key) else self.web.address_of(key)
        spec = next((h for h in self.web.hosts.values() if h.address == address), None)
        if scheme == "https":
            if not self.tls_enabled:
                raise RuntimeError("start OfflineWeb(tls=True) for https URLs")
            port = self.tls_port
        else:
            port = self.refused_port if spec is not None and spec.refuse else self.port
        authority = key if by_name and not is_ip(key) else address
        return f"{scheme}://{authority}:{port}{path}"

    def expand(self, template: str) -> str:
        """Replace {port}, {tls_port} and {refused_port} in a URL template."""
        return (
            template.replace("{port}", str(self.port))
            .replace("{tls_port}", str(self.tls_port))
            .replace("{refused_port}", str(self.refused_port))
        )

    def dns_map(self) -> dict[str, str]:
        """Name -> address, for the STUBDNS_HOSTS setting."""
        return self.web.dns_map()

    def ports(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "tls_port": self.tls_port or None,
            "refused_port": self.refused_port,
            "ca_pem": str(self.ca_pem) if self.ca_pem else None,
        }

    def stats(self, with_requests: bool = False) -> dict[str, Any]:
        """A consistent snapshot of the counters (taken on the server's loop)."""
        if self._loop is None or not self._loop.is_running():
            return self.stats_store.snapshot(with_requests)

        async def snap() -> dict[str, Any]:
            return self.stats_store.snapshot(with_requests)

        result: dict[str, Any] = self._call(snap(), STOP_TIMEOUT)
        return result

    def reset_stats(self) -> None:
        if self._loop is None or not self._loop.is_running():
            self.stats_store.reset()
            return

        async def reset() -> None:
            self.stats_store.reset()

        self._call(reset(), STOP_TIMEOUT)

    def count(self, url: str) -> int:
        """How many requests arrived for exactly `url` (scheme://authority/target)."""
        return int(self.stats()["by_url"].get(url, 0))


def _listening_socket(bind: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((bind, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock
