"""``listkeeper demo``: the whole job on the bundled sample list, with nothing to set up.

It copies the sample README and its config into a working folder, starts the offline web
that plays every host of the list (all end in ``.test``, a name that never resolves on
the internet), wires the config to it (stub DNS, test CA, port remap), and runs import,
check, render and the reports on an embedded SQLite catalog.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from crawler.offlineweb.sample import article_html
from crawler.offlineweb.server import OfflineWeb
from crawler.offlineweb.spec import Page, Web
from crawler.offlineweb.wiring import check_toml, port_remap
from jobs import check as check_job
from jobs import readme as readme_job
from jobs import report as report_job
from jobs.context import Context

ARTICLES = {
    "engineering.acme.test": {
        "/posts/order-book-sharding": "How Acme Shards Its Order Book",
        "/posts/event-sourcing": "Acme's Migration to Event Sourcing",
        "/posts/event-sourcing-2": "Acme's Migration to Event Sourcing, Part 2",
    },
    "tech.globex.test": {
        "/rate-limiting": "Globex Rate Limits Its Public API",
        "/search-rewrite": "The Globex Search Rewrite",
    },
    "initech.test": {"/blog/2024/payroll-queue": "How Initech Moved Payroll to a Queue"},
    "engineering.umbrella.test": {"/eta": "How Umbrella Computes Delivery ETAs"},
    "notes.hashring.test": {"/consistent-hashing": "Consistent Hashing, Drawn Out"},
    "queue.zone.test": {
        "/queues-are-databases": "Queues Are Databases Too",
        "/weekly/latest": "Queue Weekly #112",
        "/weekly/": "Queue Weekly: all issues",
    },
    "raft.diagrams.test": {"/": "Raft in Five Diagrams"},
}


def demo_web() -> Web:
    """The hosts of the sample list, with a few of the ways real links go wrong."""
    web = Web(latency=0.05)
    for host, pages in ARTICLES.items():
        h = web.host(host)
        for path, title in pages.items():
            h.page(
                path,
                Page(body=article_html(title, host, f"https://{host}{path}", "2024-05-01", title)),
            )
    web.hosts["tech.globex.test"].max_in_flight = 1  # answers 429 + Retry-After beyond one
    # Written as http:// in the README; the post moved for good to https://.
    web.hosts["initech.test"].page(
        "/blog/payroll-queue",
        Page(status=301, location="https://initech.test:{tls_port}/blog/2024/payroll-queue"),
    )
    web.host("blog.bramble.test").page("/", Page(body="<title>Bramble</title>home"))
    # notes.hashring.test answers every unknown path with its home page: a soft 404.
    web.hosts["notes.hashring.test"].catch_all = Page(
        body=article_html("Hashring Notes", "notes.hashring.test", "/", "2023-01-01", "Notes.")
    )
    web.host("scalenotes.test").page("/archive", Page(status=410, body="gone"))
    return web


def demo(workdir: Path) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    sample = resources.files("catalog") / "sample"
    for name in ("README.md", "listkeeper.toml"):
        with resources.as_file(sample / name) as src:
            shutil.copyfile(src, workdir / name)
    for stale in workdir.glob("listkeeper.db*"):
        stale.unlink()
    readme = workdir / "README.md"
    with OfflineWeb(demo_web(), tls=True) as ow:
        config = workdir / "listkeeper.toml"
        wiring = check_toml(ow, allow_networks=["127.77.0.0/16"], remap=port_remap(ow))
        config.write_text(config.read_text() + "\n" + wiring)
        ctx = Context(
            config_path=config, db_url=f"sqlite:///{(workdir / 'listkeeper.db').resolve()}"
        )
        click.echo(f"demo: offline web on 127.77.0.0/16 port {ow.port} (https {ow.tls_port})")
        click.echo(f"demo: working in {workdir}/ with catalog {ctx.url}")
        click.echo("== import")
        readme_job.import_(ctx, readme)
        click.echo("== check")
        check_job.check(ctx, check_job.CheckOptions(fail_on="never"))
    click.echo("== render")
    readme_job.render(ctx, readme, check=False, diff=False, adopt=False)
    click.echo("== report")
    for fmt, name in (("markdown", "report.md"), ("json", "report.json")):
        report_job.report(ctx, fmt=fmt, output=workdir / name, document=None)
    click.echo((workdir / "report.md").read_text().split("\n### ", 1)[0].strip())
    click.echo(f"demo: done; see {readme}, {workdir / 'report.md'} and {workdir / 'report.json'}")
    return readme_job.render(ctx, readme, check=True, diff=False, adopt=False)
