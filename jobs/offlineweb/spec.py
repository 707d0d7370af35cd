"""The offline web as data: pages, hosts and the web, loadable from and dumpable to JSON.

A `Web` maps host keys to `Host`s. A key is either an IPv4 loopback literal ("127.0.3.1") or a
DNS name ("blog.test"); a host keyed by a name gets a loopback address of its own when the
web is finalised (or the one given in `Host.address`). `Web.dns_map()` is the name -> address
table that both the server (for Host headers) and `crawler.resolver.StubResolver` (the
`STUBDNS_HOSTS` setting) use.

Strings in `Page.location`, and in bodies of pages marked `template=True`, may contain the
placeholders `{port}`, `{tls_port}`, `{refused_port}` and `{host}`; they are replaced by plain
string substitution when the server starts (other braces are left alone).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HeaderValue = str | list[str]

# Loopback block from which hosts keyed by a name get their address.
NAMED_HOST_BLOCK = ipaddress.IPv4Network("127.77.0.0/16")
TLS_MODES = ("valid", "expired", "wrong_host")


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass
class Page:
    """One resource. Behaviours combine; the first that applies wins, in this order:
    `close`, `reset_after`, `redirect`, conditional 304, `head_status`, body kinds."""

    status: int = 200
    body: str = ""
    body_file: str | None = None  # serve this file's bytes as the body
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, HeaderValue] = field(default_factory=dict)
    reason: str | None = None  # reason phrase; default from the status
    location: str | None = None  # Location header (redirects); may be relative
    head_status: int | None = None  # answer HEAD with this status (405, 501) while GET works
    etag: str | None = None  # e.g. '"v1"'; If-None-Match answers 304
    last_modified: str | None = None  # HTTP date; If-Modified-Since answers 304
    latency: float | None = None  # seconds before answering; None = the host's
    template: bool = False  # substitute {port} etc. in the body
    drip_bytes: int = 0  # > 0: send the body this many bytes at a time...
    drip_interval: float = 0.0  # ... every this many seconds
    endless: bool = False  # stream chunks until the client leaves or the bounds below
    endless_max_bytes: int = 200 * 1024 * 1024
    endless_max_seconds: float = 60.0
    bomb_size: int = 0  # > 0: a compressed body of this many zero bytes...
    bomb_encoding: str = "gzip"  # ... in this Content-Encoding: gzip, br or zstd
    length: int = 0  # > 0: a body this long (`body` repeated) with its Content-Length, streamed
    reset_after: int | None = None  # send headers + this many body bytes, then RST
    close: bool = False  # close the connection without answering (RST)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Page:
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        defaults = Page()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(defaults, f.name)
        }


@dataclass
class Host:
    """A site: its pages, its latency and limits, its behaviour for unknown paths."""

    pages: dict[str, Page] = field(default_factory=dict)  # path (with query) -> page
    names: list[str] = field(default_factory=list)  # extra DNS names for this host
    address: str | None = None  # loopback address; default: the key, or one allocated
    latency: float | None = None  # None = the web's default
    max_in_flight: int | None = None  # more in flight -> 429
    max_rate: float | None = None  # more arrivals in the last second -> 429
    retry_after: int = 1  # seconds, in the Retry-After of those 429s
    robots_txt: str | None = None  # served at /robots.txt
    catch_all: Page | None = None  # answer every unknown path with this (soft-404 host)
    not_found: Page | None = None  # answer unknown paths with this (default: plain 404)
    mounts: dict[str, str] = field(default_factory=dict)  # URL prefix -> directory
    refuse: bool = False  # url() points at the refused port; on the main port: reset at once
    tls: str = "valid"  # certificate on the TLS port: valid, expired or wrong_host

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Host:
        data = dict(data)
        data["pages"] = {p: Page.from_dict(v) for p, v in data.get("pages", {}).items()}
        for key in ("catch_all", "not_found"):
            if data.get(key) is not None:
                data[key] = Page.from_dict(data[key])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        defaults = Host()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(defaults, f.name):
                continue
            if f.name == "pages":
                value = {p: page.to_dict() for p, page in value.items()}
            elif isinstance(value, Page):
                value = value.to_dict()
            out[f.name] = value
        return out

    def page(self, path: str, page: Page) -> Host:
        """Add a page; returns the host so calls chain."""
        self.pages[path] = page
        return self


@dataclass
class Web:
    """Hosts keyed by loopback address or DNS name, plus extra DNS entries."""

    hosts: dict[str, Host] = field(default_factory=dict)
    latency: float = 0.0  # default per-request latency, seconds
    dns: dict[str, str] = field(default_factory=dict)  # extra names, e.g. internal.test->10.0.0.7

    def host(self, key: str, **kwargs: Any) -> Host:
        """Return the host under `key`, creating it with `kwargs` when absent."""
        if key not in self.hosts:
            self.hosts[key] = Host(**kwargs)
        return self.hosts[key]

    def finalize(self) -> dict[str, Host]:
        """Give every host an address; return address -> host. Idempotent."""
        used = {h.address for h in self.hosts.values() if h.address}
        used |= {k for k in self.hosts if is_ip(k)}
        free = (str(ip) for ip in NAMED_HOST_BLOCK.hosts() if str(ip) not in used)
        by_address: dict[str, Host] = {}
        for key, host in self.hosts.items():
            if host.address is None:
                host.address = key if is_ip(key) else next(free)
            if host.address in by_address and by_address[host.address] is not host:
                raise ValueError(f"two hosts share the address {host.address}")
            by_address[host.address] = host
        return by_address

    def address_of(self, key: str) -> str:
        """The loopback address of the host keyed (or named) `key`."""
        self.finalize()
        if key in self.hosts:
            address = self.hosts[key].address
            assert address is not None
            return address
        return self.dns_map()[key]

    def dns_map(self) -> dict[str, str]:
        """Name -> address for every named host and every extra DNS entry."""
        self.finalize()
        out: dict[str, str] = {}
        for key, host in self.hosts.items():
            assert host.address is not None
            for name in ([] if is_ip(key) else [key]) + host.names:
                out[name.lower()] = host.address
        out.update({k.lower(): v for k, v in self.dns.items()})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "dns": self.dns,
            "hosts": {k: h.to_dict() for k, h in self.hosts.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Web:
        return cls(
            hosts={k: Host.from_dict(v) for k, v in data.get("hosts", {}).items()},
            latency=float(data.get("latency", 0.0)),
            dns=dict(data.get("dns", {})),
        )

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Web:
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> Web:
        return cls.from_json(Path(path).read_bytes())
