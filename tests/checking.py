"""A check workspace for tests: a README of offline-web links, a config, and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml
from tests.catalogdb import select


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
    config = f"[verdicts]\ndead_after_checks = {verdicts[0]}\ndead_after_hours = {verdicts[1]}\n\n"
    config += check_toml(
        ow,
        allow_networks=allow_networks,
        check=check,
        settings={"DOWNLOAD_TIMEOUT": 4, **(settings or {})},
    )
    (folder / "listkeeper.toml").write_text(config)


def statuses(folder: Path) -> dict[str, tuple[str, str | None]]:
    return {u: (s, e) for u, s, e in select(folder, "select url, status, error from links")}


def checks(folder: Path) -> list[tuple[str, int | None, str]]:
    return select(
        folder,
        "select l.url, c.http_status, c.outcome from checks c join links l"
        " on l.id = c.link_id order by c.id",
    )


def grid_web(net: str, hosts: int, pages: int, latency: float) -> Web:
    """``hosts`` hosts ``{net}.1`` … with ``pages`` articles each, at ``/a/0`` …"""
    web = Web(latency=latency)
    for h in range(hosts):
        host = web.host(f"{net}.{h + 1}")
        for i in range(pages):
            host.page(f"/a/{i}", Page(body=f"<title>a{i}</title>article"))
    return web


def grid_urls(ow: OfflineWeb, net: str, hosts: int, pages: int) -> dict[str, str]:
    """The README names and URLs of ``grid_web``'s pages, host by host."""
    return {
        f"h{h}a{i}": ow.url(f"{net}.{h + 1}", f"/a/{i}") for h in range(hosts) for i in range(pages)
    }
