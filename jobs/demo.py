"""``listkeeper demo``: the whole job on the bundled sample list, with nothing to set up.

It copies the sample README and its config into a working folder, starts the offline web
that plays every host of the list (all end in ``.test``, a name that never resolves on
the internet), wires the config to it (stub DNS, test CA, port remap), checks the list and
follows its feed "yesterday" (the catalog's clock a day back), then runs the day's job
"today" on an embedded SQLite catalog: the 404 and 410 links are confirmed dead.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from importlib import resources
from pathlib import Path

import click

from catalog.vocabulary import CLOCK_ENV, utcnow
from jobs import check as check_job
from jobs import discover as discover_job
from jobs import pr as pr_job
from jobs import readme as readme_job
from jobs import run as run_job
from jobs.context import Context
from jobs.github import TOKEN_ENV
from jobs.offlineweb.githubgraphql import Endpoint, Repo, serving
from jobs.offlineweb.pages import article_html, rss_feed
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml, port_remap, port_unmap

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


NEW_POSTS = {  # what Queue Weekly published since yesterday's run
    "/posts/umbrella-shards-its-queue": "How Umbrella Shards Its Queue",
    "/posts/globex-cache-stampede": "How Globex Survived a Cache Stampede",
}


def demo_web(*, today: bool = True) -> Web:
    """The hosts of the sample list, with a few of the ways real links go wrong, and a feed
    that has two new posts ``today`` (not yet yesterday)."""
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
    queue = web.hosts["queue.zone.test"]
    items = [("Queue Weekly #112", "https://queue.zone.test/weekly/latest")]
    if today:
        items = [(t, f"https://queue.zone.test{p}") for p, t in NEW_POSTS.items()] + items
        for path, title in NEW_POSTS.items():
            body = article_html(
                title, "queue.zone.test", f"https://queue.zone.test{path}", "2024-06-01", title
            )
            queue.page(path, Page(body=body))
    queue.page(
        "/feed.xml",
        Page(
            body=rss_feed(
                "Queue Weekly",
                "https://queue.zone.test/",
                [(t, u, "Sat, 01 Jun 2024 08:00:00 GMT") for t, u in items],
            ),
            content_type="application/rss+xml; charset=utf-8",
        ),
    )
    return web


def demo(workdir: Path) -> int:
    """Copy the sample list into ``workdir`` (a git clone with a local remote), serve its
    web, run the whole job, then a dry-run pull request."""
    workdir.mkdir(parents=True, exist_ok=True)
    sample = resources.files("catalog") / "sample"
    for name in ("README.md", "listkeeper.toml"):
        with resources.as_file(sample / name) as src:
            shutil.copyfile(src, workdir / name)
    for stale in workdir.glob("listkeeper.db*"):
        stale.unlink()
    _git_clone(workdir)
    config = workdir / "listkeeper.toml"
    base = config.read_text() + '\n[report]\ndir = "."\n\n'
    ctx = Context(config_path=config, db_url=f"sqlite:///{(workdir / 'listkeeper.db').resolve()}")
    click.echo(f"demo: working in {workdir}/ with catalog {ctx.url}")
    yesterday = (utcnow() - timedelta(days=1)).isoformat()
    with (
        _clock(yesterday),  # the catalog's clock: yesterday's checks count as yesterday's
        OfflineWeb(demo_web(today=False), tls=True) as ow,
        serving(demo_repositories()) as api_url,
        _demo_token(),
    ):
        config.write_text(base + _wiring(ow) + f'\n[github]\napi_url = "{api_url}"\n')
        ctx = Context(config_path=config, db_url=ctx.url)
        click.echo(
            "== yesterday: check the list, follow Queue Weekly, read its feed (the baseline)"
        )
        readme_job.import_(ctx, ctx.config.readme)
        check_job.check(ctx, check_job.CheckOptions(fail_on="never"))
        discover_job.feeds_add(ctx, "https://queue.zone.test/feed.xml", section=None)
        discover_job.discover(ctx, None)
    with (
        OfflineWeb(demo_web(), tls=True) as ow,  # today: the scheduled run
        serving(demo_repositories()) as api_url,
        _demo_token(),
    ):
        config.write_text(base + _wiring(ow) + f'\n[github]\napi_url = "{api_url}"\n')
        ctx = Context(config_path=config, db_url=ctx.url)
        click.echo(f"== today: listkeeper run (offline web on 127.77.0.0/16, port {ow.port})")
        code = run_job.run(ctx, run_job.RunOptions(fail_on="never", report_dir=workdir))
    # The pull request, as a dry run: the GitHub API is not for a demo.
    with config.open("a") as fh:
        fh.write('\n[pr]\nrepo = "listkeeper/sample"\nbase = "main"\ndead = "mark"\n')
    ctx = Context(config_path=config, db_url=ctx.url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        pr_job.pr(ctx, dry_run=True, api_url=None)
    (workdir / "pull-request.txt").write_text(out.getvalue())
    click.echo((workdir / "report.md").read_text().split("\n### ", 1)[0].strip())
    click.echo("demo: done; see")
    for name in ("README.md", "report.html", "report.md", "report.json", "pull-request.txt"):
        click.echo(f"  {workdir / name}")
    return code


def demo_repositories() -> Endpoint:
    """The sample list's GitHub repositories: one fine, one renamed, one archived."""
    endpoint = Endpoint()
    endpoint.add("sample-org/hashring", Repo("sample-org/hashring", stars=1840))
    endpoint.add("queue-zone/queuebench", Repo("sample-org/queuebench", stars=310))
    endpoint.add(
        "sample-org/raftlog",
        Repo(
            "sample-org/raftlog",
            archived=True,
            archived_at="2025-03-01T10:00:00Z",
            last_commit_at="2025-02-20T16:12:00Z",
            pushed_at="2025-02-20T16:12:00Z",
            stars=95,
        ),
    )
    return endpoint


@contextlib.contextmanager
def _clock(moment: str) -> Iterator[None]:
    """``LISTKEEPER_NOW`` set to *moment* (this process and the crawls it starts)."""
    saved = os.environ.get(CLOCK_ENV)
    os.environ[CLOCK_ENV] = moment
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(CLOCK_ENV, None)
        else:
            os.environ[CLOCK_ENV] = saved


@contextlib.contextmanager
def _demo_token() -> Iterator[None]:
    """A token for the local GitHub API only: the user's own is never sent to it."""
    saved = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = "demo-token-for-the-local-api"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(TOKEN_ENV, None)
        else:
            os.environ[TOKEN_ENV] = saved


def _wiring(ow: OfflineWeb) -> str:
    return check_toml(
        ow, allow_networks=["127.77.0.0/16"], remap=port_remap(ow), unmap=port_unmap()
    )


def _git_clone(workdir: Path) -> None:
    """Make ``workdir`` a clone of a local bare remote whose main holds the sample list."""
    remote = workdir / "remote.git"
    shutil.rmtree(workdir / ".git", ignore_errors=True)
    shutil.rmtree(remote, ignore_errors=True)
    git = ["git", "-c", "user.name=demo", "-c", "user.email=demo@example.invalid"]

    def run(*args: str) -> None:
        subprocess.run([*git, *args], cwd=workdir, check=True, capture_output=True)

    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True, capture_output=True)
    run("init", "-q", "-b", "main")
    (workdir / ".gitignore").write_text("listkeeper.db*\nremote.git/\nreport.*\npull-request.txt\n")
    run("add", "README.md", "listkeeper.toml", ".gitignore")
    run("commit", "-q", "-m", "The sample list")
    run("remote", "add", "origin", str(remote.resolve()))
    run("push", "-q", "origin", "main")
