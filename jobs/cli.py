"""The ``listkeeper`` command: thin plumbing over the jobs, with the exit codes the README's
command table gives.

0 success, 1 unexpected failure, 2 findings (dead links, a stale README), 3 bad input,
config or usage. Click's own usage errors exit 2 by default, which would read as "dead
links", so they are mapped to 3 here.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from catalog.errors import ListkeeperError
from catalog.output import add_secret, filtered_streams
from crawler import VERBOSE_ENV
from jobs import interrupt
from jobs.context import Context

# Job modules are imported by the command that runs them: `listkeeper check` need not load
# the offline web, nor `import` the crawler (start-up time counts in every cron run).

EXIT_OK, EXIT_FAILURE, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2, 3

REPORT_FORMATS = ["markdown", "json", "html", "junit"]  # catalog.formats.FORMATS (a test)


def pass_list(command: Callable[..., Any]) -> Callable[..., Any]:
    """``click.pass_obj`` for the commands that work on a list: outside a folder with a
    listkeeper.toml (and without --config) they say so and stop, before a catalog, a
    report or a crawl is started; the config is loaded, and so checked, first of all."""

    @click.pass_obj
    @functools.wraps(command)
    def with_list(obj: Context, *args: Any, **kwargs: Any) -> Any:
        obj.require_config()
        return command(obj, *args, **kwargs)

    return with_list


def pass_catalog(command: Callable[..., Any]) -> Callable[..., Any]:
    """``pass_list`` for the commands that only read a catalog (``report``): a catalog named
    with --db or LISTKEEPER_DB stands in for the list's folder."""

    @click.pass_obj
    @functools.wraps(command)
    def with_catalog(obj: Context, *args: Any, **kwargs: Any) -> Any:
        from catalog.db import ENV_VAR

        if not (obj.db_url or os.environ.get(ENV_VAR)):
            obj.require_config()
        return command(obj, *args, **kwargs)

    return with_catalog


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file [default: listkeeper.toml].",
)
@click.option("--db", "db_url", metavar="URL", help="Database URL [env LISTKEEPER_DB].")
@click.option(
    "--verbose", is_flag=True, help="Show the crawls' whole log on stderr, not only errors."
)
@click.version_option(package_name="listkeeper")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, db_url: str | None, verbose: bool) -> None:
    """Keep a curated link list alive: import, check, render, report."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"  # read where a crawl's log is reported (jobs.crawling)
    ctx.obj = Context(config_path=config_path, db_url=db_url)


@cli.command()
@click.option(
    "--from",
    "from_readme",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Recognise the A–Z indexes and letter groups of this README.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.pass_obj
def init(obj: Context, from_readme: Path | None, force: bool) -> int:
    """Write a starter listkeeper.toml and create the catalog."""
    from jobs import readme as readme_job

    return readme_job.init(obj, from_readme, force=force)


@cli.command("import")
@click.argument("readme", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def import_(obj: Context, readme: Path) -> int:
    """Parse README into the catalog; print its sections, entries and links."""
    from jobs import readme as readme_job

    return readme_job.import_(obj, readme)


@cli.command()
@click.argument("readme", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--check", is_flag=True, help="Change nothing; exit 2 when the file is stale.")
@click.option("--diff", is_flag=True, help="Print a unified diff instead of writing.")
@click.option("--adopt", is_flag=True, help="Gather recognised groups into managed regions.")
@click.option(
    "--regroup",
    is_flag=True,
    help="With --adopt: move entries found outside their letter groups back, when sure.",
)
@click.pass_obj
def render(obj: Context, readme: Path, check: bool, diff: bool, adopt: bool, regroup: bool) -> int:
    """Regenerate the managed regions of README from the catalog."""
    from jobs import readme as readme_job

    return readme_job.render(obj, readme, check=check, diff=diff, adopt=adopt, regroup=regroup)


@cli.command("check")
@click.option("--all", "all_links", is_flag=True, help="Check every link, due or not.")
@click.option("--max-concurrency", type=click.IntRange(1, 1024), help="Requests in flight.")
@click.option("--per-host", type=click.IntRange(1, 64), help="Requests in flight per host.")
@click.option("--timeout", type=click.FloatRange(0.1, 600), help="Seconds per request.")
@click.option("--allow-private", is_flag=True, help="Allow loopback and private addresses.")
@click.option("--fail-on", type=click.Choice(["dead", "never"]), default="dead", show_default=True)
@click.option(
    "--added-since",
    metavar="GIT_REF",
    help="Check only the links README gained since GIT_REF (for pull requests).",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    help="Crawl processes, hosts split between them [default: one per core for 1,000+ links].",
)
@click.option(
    "--queue",
    metavar="URL",
    help="Enqueue for `listkeeper worker` (redis://HOST:PORT/DB, redis+cluster://HOST:PORT).",
)
@click.option("--wait", is_flag=True, help="With --queue: wait until the workers drain it.")
@click.argument(
    "readme", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@pass_list
def check_(obj: Context, added_since: str | None, readme: Path | None, **options: Any) -> int:
    """Check the links that are due; exit 2 when a link is confirmed dead."""
    if options["wait"] and not options["queue"]:
        raise click.UsageError("--wait goes with --queue")
    from jobs.crawling import CrawlChild

    # Started first: the crawl process imports Scrapy while this one imports SQLAlchemy and
    # reads the catalog.
    child = None if options["queue"] or added_since is not None else CrawlChild()
    from jobs import check as check_job

    opts = check_job.CheckOptions(**options)
    if added_since is not None:
        from jobs.added import check_added

        return check_added(obj, added_since, readme or obj.config.readme, opts)
    return check_job.check(obj, opts, child)


@cli.command("run")
@click.option("--fail-on", type=click.Choice(["dead", "never"]), default="dead", show_default=True)
@click.option("--max-concurrency", type=click.IntRange(1, 1024), help="Requests in flight.")
@click.option("--per-host", type=click.IntRange(1, 64), help="Requests in flight per host.")
@click.option("--timeout", type=click.FloatRange(0.1, 600), help="Seconds per request.")
@click.option("--allow-private", is_flag=True, help="Allow loopback and private addresses.")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the reports go [default: [report] dir, else the working directory].",
)
@pass_list
def run_(obj: Context, **options: Any) -> int:
    """The scheduled job: import, check, discover, render, report (and pr)."""
    from jobs import run as run_job

    return run_job.run(obj, run_job.RunOptions(**options))


@cli.command("pr")
@click.option("--dry-run", is_flag=True, help="Print the diff and the pull request's body only.")
@click.option(
    "--api-url",
    metavar="URL",
    help="GitHub API, e.g. https://HOST/api/v3 for GitHub Enterprise "
    "[default: [pr] api_url, else https://api.github.com].",
)
@pass_list
def pr_(obj: Context, dry_run: bool, api_url: str | None) -> int:
    """Branch, commit, push, and open or update the one bot pull request."""
    from jobs import pr as pr_job

    return pr_job.pr(obj, dry_run=dry_run, api_url=api_url)


@cli.command("worker")
@click.option(
    "--queue",
    "queue_url",
    required=True,
    metavar="URL",
    help="redis://HOST:PORT/DB, or redis+cluster://HOST:PORT for a Redis Cluster",
)
@click.option("--exit-when-empty", is_flag=True, help="Stop once the queue is drained.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow loopback and private addresses (only for runs queued with --allow-private).",
)
@click.pass_obj
def worker_(obj: Context, queue_url: str, exit_when_empty: bool, allow_private: bool) -> int:
    """A distributed crawl worker: check the links queued by `check --queue`.

    It stores into its own catalog (--db, LISTKEEPER_DB or its config), with its own guard.
    """
    from jobs import worker as worker_job

    return worker_job.worker(
        queue_url,
        exit_when_empty=exit_when_empty,
        db_url=obj.db_url,
        allow_private=allow_private,
        config_path=obj.config_path,
    )


@cli.command("schedule")
@pass_list
def schedule_(obj: Context) -> int:
    """Run the jobs of [schedule.jobs] on their cron expressions until stopped."""
    from jobs import schedule as schedule_job

    return schedule_job.schedule(obj)


@cli.command("discover")
@click.argument(
    "readme", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--allow-private", is_flag=True, help="Allow loopback and private addresses.")
@pass_list
def discover_(obj: Context, readme: Path | None, allow_private: bool) -> int:
    """Poll the followed feeds and listing pages; new articles become candidates."""
    from jobs import discover as discover_job

    return discover_job.discover(obj, readme, allow_private=allow_private)


@cli.group()
def feeds() -> None:
    """Manage the feeds the list follows."""


@feeds.command("add")
@click.argument("url")
@click.option("--section", help="Suggest this section for the feed's articles.")
@click.option("--allow-private", is_flag=True, help="Allow loopback and private addresses.")
@pass_list
def feeds_add(obj: Context, url: str, section: str | None, allow_private: bool) -> int:
    """Follow a feed (RSS, Atom, JSON Feed, sitemap), or a blog's listing page."""
    from jobs import discover as discover_job

    return discover_job.feeds_add(obj, url, section, allow_private=allow_private)


@feeds.command("import-opml")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_list
def feeds_import_opml(obj: Context, file: Path) -> int:
    """Follow every feed of an OPML file."""
    from jobs import discover as discover_job

    return discover_job.feeds_import_opml(obj, file)


@feeds.command("list")
@pass_list
def feeds_list(obj: Context) -> int:
    """List the followed feeds with their state."""
    from jobs import discover as discover_job

    return discover_job.feeds_list(obj)


@feeds.command("suggest")
@pass_list
def feeds_suggest(obj: Context) -> int:
    """Feeds advertised by pages of the list that are not followed yet."""
    from jobs import discover as discover_job

    return discover_job.feeds_suggest(obj)


@cli.group(invoke_without_command=True)
@click.pass_context
def candidates(ctx: click.Context) -> int | None:
    """List the candidates found by discovery (accept or reject them)."""
    if ctx.invoked_subcommand is not None:
        return None
    ctx.obj.require_config()
    from jobs import discover as discover_job

    return discover_job.candidates_list(ctx.obj)


@candidates.command("accept")
@click.argument("entry_id", type=int)
@click.option("--section", help="The section to list it in (default: the suggested one).")
@pass_list
def candidates_accept(obj: Context, entry_id: int, section: str | None) -> int:
    """Accept a candidate: it appears in the README at the next render."""
    from jobs import discover as discover_job

    return discover_job.candidates_decide(obj, entry_id, accept=True, section=section)


@candidates.command("reject")
@click.argument("entry_id", type=int)
@pass_list
def candidates_reject(obj: Context, entry_id: int) -> int:
    """Reject a candidate: it is not suggested again."""
    from jobs import discover as discover_job

    return discover_job.candidates_decide(obj, entry_id, accept=False, section=None)


@cli.command("extract")
@click.argument("path_or_url")
@click.option("--url", help="The page's own URL, for relative links of a saved file.")
def extract_(path_or_url: str, url: str | None) -> int:
    """Print one page's metadata as JSON."""
    from jobs import extract as extract_job

    return extract_job.extract_page(path_or_url, url)


@cli.command("demo")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-out"),
    show_default=True,
    help="Folder for the demo's README copy, config and catalog.",
)
def demo_(workdir: Path) -> int:
    """Run the whole job on the bundled sample list, offline."""
    from jobs import demo as demo_job

    return demo_job.demo(workdir)


@cli.command("report")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="markdown",
    show_default=True,
    help="Markdown for a pull request or an issue; JSON for machines (stable shape); "
    "HTML for a maintainer's review; JUnit for CI systems.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE (atomically) instead of stdout.",
)
@click.option("--document", metavar="README.md", help="Only the links of this document.")
@pass_catalog
def report_(obj: Context, fmt: str, output: Path | None, document: str | None) -> int:
    """The dead-link report: every link, worst first, with where it is written and why."""
    from jobs import report as report_job

    return report_job.report(obj, fmt, output, document)


@cli.group()
def db() -> None:
    """Manage the catalog database."""


@db.command()
@click.option("--revision", default="head", show_default=True)
@click.pass_obj
def upgrade(obj: Context, revision: str) -> int:
    """Bring the catalog's schema up to date (Alembic)."""
    from jobs import readme as readme_job

    return readme_job.db_upgrade(obj, revision)


TOKEN_ENV = "GITHUB_TOKEN"


def main(argv: list[str] | None = None) -> None:
    with filtered_streams():
        code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (tests call this).

    Everything it prints, logs or raises goes through one filter (catalog.output): the
    token is redacted wherever it turns up, and a web page's control characters never
    reach the terminal.
    """
    add_secret(os.environ.get(TOKEN_ENV))
    with filtered_streams():
        return _guarded(argv)


def _guarded(argv: list[str] | None) -> int:
    verbose = os.environ.get(VERBOSE_ENV)
    try:
        with interrupt.handled():
            try:
                return _run(argv)
            except interrupt.Interrupted as exc:
                from jobs.crawling import stop_all  # loaded already if a crawl was started

                stop_all()  # the crawls end with the command
                click.echo(f"listkeeper: interrupted by {exc}: stopped", err=True)
                return exc.exit_code
    finally:
        if verbose is None:
            os.environ.pop(VERBOSE_ENV, None)


def _run(argv: list[str] | None) -> int:
    try:
        result: Any = cli.main(args=argv, prog_name="listkeeper", standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.Abort:
        click.echo("listkeeper: aborted", err=True)
        return EXIT_FAILURE
    except ListkeeperError as exc:
        click.echo(f"listkeeper: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("listkeeper: interrupted", err=True)
        return 130
    except OSError as exc:  # a file or folder that cannot be written: where and why
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"listkeeper: error: {where}{exc.strerror or exc}", err=True)
        return EXIT_FAILURE
    except Exception as exc:  # a bug or an unforeseen failure: its traceback, redacted
        if "sqlalchemy" in sys.modules:  # loaded by any command that opened the catalog
            from catalog.db import describe

            line = describe(exc)
            if line is not None:  # locked, read-only, full: the catalog's state, not a bug
                click.echo(f"listkeeper: error: {line}", err=True)
                return EXIT_FAILURE
        traceback.print_exc()
        click.echo(f"listkeeper: unexpected error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_FAILURE
    if isinstance(result, int):
        return result
    return EXIT_OK
