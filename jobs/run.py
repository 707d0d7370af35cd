"""``listkeeper run``: the cron job. Each step reports and fails on its own.

import → check → discover → render → report → pr (when ``[pr]`` is configured). A step that
fails (a feed that errors, a host that hangs, GitHub refusing) is reported and the others
still run; what each stored stays stored. Two runs never overlap on one catalog: a lock
in the catalog, which a crashed run cannot hold forever.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import click

from catalog import db, locks, runs
from catalog.errors import ListkeeperError
from catalog.store import status_counts
from catalog.vocabulary import LinkStatus
from jobs import check as check_job
from jobs import discover as discover_job
from jobs import readme as readme_job
from jobs import report as report_job
from jobs.context import Context

LOCK_TTL = timedelta(hours=6)  # a run longer than this is presumed dead


@dataclass
class RunOptions:
    fail_on: str = "dead"
    max_concurrency: int | None = None
    per_host: int | None = None
    timeout: float | None = None
    allow_private: bool = False
    report_dir: Path | None = None


@dataclass
class Outcome:
    failed: list[str] = field(default_factory=list)
    dead: int = 0


def run(ctx: Context, options: RunOptions) -> int:
    engine = ctx.engine()
    readme = ctx.config.readme
    report_dir = options.report_dir or Path(ctx.config.tables.report.dir)
    outcome = Outcome()
    with locks.held(engine, "run", LOCK_TTL):
        run_id = runs.start(engine, "run", locks.me())
        try:
            _steps(ctx, options, readme, report_dir, outcome)
        except BaseException as exc:  # interrupted (SIGINT, SIGTERM) or the catalog failed
            runs.finish_after(engine, run_id, exc)
            raise
        with db.session_factory(engine)() as s:
            outcome.dead = status_counts(s).get(LinkStatus.DEAD.value, 0)
        stats = {"failed_steps": outcome.failed, "dead": outcome.dead}
        runs.finish(engine, run_id, "failed" if outcome.failed else "done", stats)
    if outcome.failed:
        click.echo(f"run: steps failed: {', '.join(outcome.failed)}", err=True)
        return 1
    if outcome.dead and options.fail_on == "dead":
        click.echo(f"run: {outcome.dead} dead links confirmed", err=True)
        return 2
    return 0


def _steps(
    ctx: Context, options: RunOptions, readme: Path, report_dir: Path, outcome: Outcome
) -> None:
    """Each step in turn; a step that fails is reported and the others still run."""
    check_options = check_job.CheckOptions(
        max_concurrency=options.max_concurrency,
        per_host=options.per_host,
        timeout=options.timeout,
        allow_private=options.allow_private,
        fail_on="never",
    )
    steps: list[tuple[str, Callable[[], int]]] = [
        ("import", lambda: readme_job.import_(ctx, readme)),
        ("check", lambda: check_job.check(ctx, check_options)),
        (
            "discover",
            lambda: discover_job.discover(ctx, readme, options.allow_private),
        ),
        ("render", lambda: _render(ctx, readme)),
        ("report", lambda: _reports(ctx, report_dir)),
    ]
    if ctx.config.tables.pr is not None:
        steps.append(("pr", lambda: _pr(ctx)))
    for name, step in steps:
        click.echo(f"== {name}")
        try:
            step()
        except ListkeeperError as exc:
            outcome.failed.append(name)
            click.echo(f"listkeeper: {name} failed: {exc}", err=True)
        except Exception as exc:  # a bug in one step must not cost the others
            outcome.failed.append(name)
            line = db.describe(exc)
            if line is not None:  # the catalog locked, read-only or full: not a bug
                click.echo(f"listkeeper: {name} failed: {line}", err=True)
                continue
            click.echo(f"listkeeper: {name} failed unexpectedly: {exc!r}", err=True)
            click.echo(traceback.format_exc(), err=True)


def _render(ctx: Context, readme: Path) -> int:
    """Render, then decide the local links it wrote (index cells): no "unchecked" anchor
    in the report of the run that wrote it."""
    code = readme_job.render(ctx, readme, check=False, diff=False, adopt=False)
    check_job.decide_local(ctx)
    return code


def _reports(ctx: Context, folder: Path) -> int:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ListkeeperError(f"cannot create the report folder {folder}: {exc.strerror}") from exc
    from catalog.formats import FORMATS

    for fmt in FORMATS:
        suffix = {"markdown": "md", "junit": "junit.xml"}.get(fmt, fmt)
        report_job.report(ctx, fmt=fmt, output=folder / f"report.{suffix}", document=None)
    return 0


def _pr(ctx: Context) -> int:
    from jobs import pr as pr_job

    return pr_job.pr(ctx, dry_run=False, api_url=None)
