"""A check workspace for tests: a README of offline-web links, a config, and the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from crawler.offlineweb.server import OfflineWeb


def toml_value(value: Any) -> str:
    return json.dumps(value)  # JSON strings, numbers, booleans and arrays are valid TOML


def write_workspace(
    folder: Path,
    ow: OfflineWeb,
    urls: dict[str, str],
    *,
    allow_networks: list[str] | None = None,
    verdicts: tuple[int, float] = (1, 0.0),
    check: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> None:
    """README.md with one bullet per URL and a listkeeper.toml wired to the offline web."""
    lines = ["# Offline", "", "## Links", ""]
    lines += [f"- [{name}]({url})" for name, url in urls.items()]
    (folder / "README.md").write_text("\n".join(lines) + "\n")
    scrapy_settings = {
        "TWISTED_DNS_RESOLVER": "crawler.resolver.StubResolver",
        "DOWNLOAD_TIMEOUT": 4,
        **({"TLS_EXTRA_CA": str(ow.ca_pem)} if ow.ca_pem else {}),
        **(settings or {}),
    }
    out = [
        "[verdicts]",
        f"dead_after_checks = {verdicts[0]}",
        f"dead_after_hours = {verdicts[1]}",
        "[check]",
        f"allow_networks = {toml_value(allow_networks or [])}",
        *(f"{k} = {toml_value(v)}" for k, v in (check or {}).items()),
        "[check.settings]",
        *(f"{k} = {toml_value(v)}" for k, v in scrapy_settings.items()),
        "[check.settings.STUBDNS_HOSTS]",
        *(f"{toml_value(k)} = {toml_value(v)}" for k, v in ow.dns_map().items()),
    ]
    (folder / "listkeeper.toml").write_text("\n".join(out) + "\n")


def statuses(folder: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(folder / "listkeeper.db") as con:
        return {u: (s, e) for u, s, e in con.execute("select url, status, error from links")}


def checks(folder: Path) -> list[tuple[str, int | None, str]]:
    with sqlite3.connect(folder / "listkeeper.db") as con:
        return list(
            con.execute(
                "select l.url, c.http_status, c.outcome from checks c join links l"
                " on l.id = c.link_id order by c.id"
            )
        )
