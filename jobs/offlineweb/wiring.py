"""The ``[check]`` config that points listkeeper at a running offline web.

Used by the demo, the tests and the benchmarks: the stub resolver with the web's names,
the test CA for its TLS port, the loopback networks to allow past the private-address
guard, and remap rules from the URLs as written to the web's ports.
"""

from __future__ import annotations

import json
from typing import Any

from .server import OfflineWeb


def toml_value(value: Any) -> str:
    """JSON strings, numbers, booleans and arrays are valid TOML values."""
    return json.dumps(value)


def check_toml(
    ow: OfflineWeb,
    *,
    allow_networks: list[str] | None = None,
    remap: list[str] | None = None,
    unmap: list[str] | None = None,
    check: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    scrapy_settings = {
        "TWISTED_DNS_RESOLVER": "crawler.resolver.StubResolver",
        **({"TLS_EXTRA_CA": str(ow.ca_pem)} if ow.ca_pem else {}),
        **(settings or {}),
    }
    lines = [
        "[check]",
        f"allow_networks = {toml_value(allow_networks or [])}",
        f"remap = {toml_value(remap or [])}",
        f"unmap = {toml_value(unmap or [])}",
        *(f"{k} = {toml_value(v)}" for k, v in (check or {}).items()),
        "",
        "[check.settings]",
        *(f"{k} = {toml_value(v)}" for k, v in scrapy_settings.items()),
        "",
        "[check.settings.STUBDNS_HOSTS]",
        *(f"{toml_value(k)} = {toml_value(v)}" for k, v in ow.dns_map().items()),
    ]
    return "\n".join(lines) + "\n"


def port_unmap(suffix: str = ".test") -> list[str]:
    """The way back: ``https://x.test:PORT/...`` as ``https://x.test/...`` in reports."""
    pattern = r"[A-Za-z0-9.-]+" + suffix.replace(".", r"\.")
    return [rf"^(https?)://({pattern}):\d+/ \1://\2/"]


def port_remap(ow: OfflineWeb, suffix: str = ".test") -> list[str]:
    """Rules that send ``https://x.test/...`` and ``http://x.test/...`` to the web's ports."""
    pattern = r"[A-Za-z0-9.-]+" + suffix.replace(".", r"\.")
    rules = [rf"^http://({pattern})/ http://\1:{ow.port}/"]
    if ow.tls_port:
        rules.insert(0, rf"^https://({pattern})/ https://\1:{ow.tls_port}/")
    return rules
