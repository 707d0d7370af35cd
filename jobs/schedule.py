"""``listkeeper schedule``: run the jobs on their cron expressions until SIGINT/SIGTERM.

APScheduler 3 (BlockingScheduler) keeps its job store in the catalog (table
``apscheduler_jobs``, outside the project's migrations), so a restart remembers the jobs;
missed runs coalesce into one; a job never overlaps itself (``max_instances=1``).

Each run is a child process (``python -m jobs <args>``): Scrapy's reactor cannot restart
in one process, and a crashed crawl must not take the scheduler down.

APScheduler moves a job's next run time *before* the job runs, so a scheduler killed during
a run would lose it. The project's own ``runs`` table closes that gap: each run records the
fire time it stands for when it starts and when it ends; at start-up, a job whose latest
fire time has no finished run is run once at once (the missed ones coalesced), and a fire
time that already has a finished run is never run twice.

    [schedule.jobs.nightly]
    cron = "17 4 * * *"          # 5 fields, or 6 with seconds first
    args = ["run", "--fail-on", "never"]
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
from sqlalchemy import select

from catalog import config as config_mod
from catalog import db
from catalog.errors import ConfigError
from catalog.models import Run
from catalog.vocabulary import utcnow
from jobs.context import Context


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str
    args: tuple[str, ...]


def jobs_from(config: config_mod.Config) -> list[ScheduledJob]:
    """The jobs of ``[schedule.jobs]`` (their types checked by the schema), each cron
    expression parsed now: a wrong one is a config error at start, not at 4 am."""
    table = config.tables.schedule.jobs
    if not table:
        raise ConfigError(
            f"no [schedule.jobs.NAME] in {config.where}; e.g. "
            '[schedule.jobs.nightly] cron = "17 4 * * *", args = ["run"]'
        )
    out = []
    for name, spec in table.items():
        trigger(spec.cron, name)
        out.append(ScheduledJob(name, spec.cron, spec.args or (name,)))
    return out


def trigger(cron: str, name: str = "job") -> Any:
    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(cron, timezone="UTC")
        if len(fields) == 6:
            second, minute, hour, day, month, dow = fields
            return CronTrigger(
                second=second,
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=dow,
                timezone="UTC",
            )
    except ValueError as exc:
        raise ConfigError(f"[schedule.jobs.{name}]: bad cron {cron!r}: {exc}") from exc
    raise ConfigError(f"[schedule.jobs.{name}]: cron needs 5 fields (or 6 with seconds)")


def missed_fire(cron: str, since: datetime, now: datetime) -> datetime | None:
    """The latest fire time of ``cron`` in (since, now], or None when none fell there.

    Missed fire times coalesce into this one. Stepping is bounded: after a very long
    absence of a second-level schedule, a fire time near the end of the walk stands in.
    """
    t = trigger(cron)
    fire = t.get_next_fire_time(None, since + timedelta(seconds=1))
    latest = None
    for _ in range(100_000):
        if fire is None or fire > now:
            break
        latest = fire
        fire = t.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def execute(config_path: str | None, db_url: str, name: str, args: list[str], fire: str) -> None:
    """One scheduled run: recorded in ``runs`` before and after, run in a child process."""
    engine = db.make_engine(db_url)
    try:
        with db.session_scope(engine) as s:
            done = s.scalars(select(Run).where(Run.job == f"schedule:{name}", Run.status == "done"))
            if any((r.stats or {}).get("fire") == fire for r in done):
                return  # this fire time already ran to the end: never twice
            run = Run(job=f"schedule:{name}", stats={"fire": fire})
            s.add(run)
            s.flush()
            run_id = run.id
        cmd = [sys.executable, "-m", "jobs", "--db", db_url]
        if config_path:
            cmd += ["--config", config_path]
        code = subprocess.run([*cmd, *args], check=False).returncode
        with db.session_scope(engine) as s:
            row = s.get(Run, run_id)
            if row is not None:
                row.finished_at = utcnow()
                row.status = "done"
                row.stats = {"fire": fire, "exit": code}
    finally:
        engine.dispose()


def _fired(config_path: str | None, db_url: str, name: str, args: list[str]) -> None:
    # APScheduler calls this at the fire time (within a second); it stands for that time.
    fire = utcnow().replace(microsecond=0).isoformat()
    execute(config_path, db_url, name, args, fire)


def catch_up(ctx: Context, jobs: list[ScheduledJob], now: datetime) -> None:
    """Run once each job whose latest fire time has no finished run (a lost run)."""
    engine = ctx.engine()
    for job in jobs:
        with db.session_factory(engine)() as s:
            runs = s.scalars(select(Run).where(Run.job == f"schedule:{job.name}")).all()
        fires = [
            datetime.fromisoformat(f)
            for r in runs
            if r.status == "done" and (f := (r.stats or {}).get("fire"))
        ]
        if not fires:
            continue  # never ran to the end: history starts now, nothing to catch up
        fire = missed_fire(job.cron, max(fires), now)
        if fire is not None:
            click.echo(f"schedule: {job.name}: catching up the run of {fire:%Y-%m-%d %H:%M:%S}")
            execute(_config(ctx), ctx.url, job.name, list(job.args), fire.isoformat())


def _config(ctx: Context) -> str | None:
    return str(ctx.config_path) if ctx.config_path else None


def schedule(ctx: Context) -> int:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    jobs = jobs_from(ctx.config)
    ctx.engine()  # the catalog exists and is current before APScheduler adds its table
    catch_up(ctx, jobs, utcnow())
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=ctx.url)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC",
    )
    for job in jobs:
        scheduler.add_job(
            _fired,
            trigger(job.cron, job.name),
            args=[_config(ctx), ctx.url, job.name, list(job.args)],
            id=job.name,
            name=job.name,
            replace_existing=True,
        )

    def stop(signum: int, _frame: Any) -> None:
        click.echo(f"schedule: {signal.Signals(signum).name}: stopping after the running job")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"schedule: {len(jobs)} jobs: " + ", ".join(f"{j.name} ({j.cron})" for j in jobs))
    sys.stdout.flush()
    scheduler.start()
    return 0
