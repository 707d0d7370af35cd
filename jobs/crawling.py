"""Run a crawl in a child process (``python -m crawler.crawl JOBFILE``) and wait for it.

Twisted's reactor cannot restart in one process, and a crawl killed half-way must never
take its caller (a cron run, the scheduler) with it. Each child runs in a session of its
own, so a signal meant for the command's process group (Ctrl-C at a terminal, a CI job
cancelled) never reaches it directly: the command stops its children itself
(:func:`stop_all`), and a child dies with its parent (``crawler.crawl``), so no crawl
outlives the command that started it.

A child can be started before its job is known (:class:`CrawlChild`): it imports Scrapy,
the spiders and the pipelines (most of a second) while the parent reads the catalog, then
reads its job file's path from stdin.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click

from catalog.errors import ListkeeperError
from crawler import CRAWL_ERROR_PREFIX, PARENT_ENV, VERBOSE_ENV
from crawler.settings import SETTINGS

STOP_GRACE = 5.0  # seconds a stopped crawl has to store what it has, before SIGKILL
# A crawl's log line: "2024-01-01 00:00:00 [logger] LEVEL: message".
_LOG_LINE = re.compile(r"^\S+ \S+ \[(?P<logger>[^\]]+)\] (?P<level>ERROR|CRITICAL): (?P<msg>.*)$")
# Loggers whose errors are one link's outcome (a refused connection, a DNS failure): the
# catalog records them against the link, so they are no error of the command.
_PER_LINK_LOGGERS = ("scrapy.downloadermiddlewares.retry", "scrapy.core.scraper")
_LIVE: set[CrawlChild] = set()  # children started and not yet waited for
_LIVE_LOCK = threading.Lock()


# A crawl never talks to GitHub's API: the token stays with the command that does.
_SECRET_ENV = frozenset({"GITHUB_TOKEN"})


def _without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in _SECRET_ENV}


class CrawlChild:
    """A ``crawler.crawl`` process started ahead of its job (``python -m crawler.crawl -``)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        # The child's log goes to a file, not a pipe: a pipe nobody reads while `watch`
        # polls would fill up and stall the crawl.
        self.log: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in run/cancel)
        self.proc: subprocess.Popen[str] = subprocess.Popen(
            [sys.executable, "-m", "crawler.crawl", "-"],
            stdin=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={
                **_without_secrets(os.environ),
                "PYTHONUNBUFFERED": "1",
                PARENT_ENV: str(os.getpid()),
                **(env or {}),
            },
            start_new_session=True,  # its own process group: see the module's docstring
        )
        with _LIVE_LOCK:
            _LIVE.add(self)

    def run(
        self,
        spider: str,
        arguments: dict[str, Any],
        settings: dict[str, Any],
        *,
        watch: Callable[[subprocess.Popen[str]], None] | None = None,
    ) -> None:
        """Hand the child its job and wait for it; raise if the crawl failed."""
        jobfile = _write_job(spider, arguments, settings)
        try:
            assert self.proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # a child dead early: reported below
                self.proc.stdin.write(jobfile + "\n")
                self.proc.stdin.close()
            if watch is not None:
                watch(self.proc)
            self.proc.wait()
            self.log.seek(0)
            _report(spider, self.proc.returncode, self.log.read())
        except BaseException:
            self.stop()  # interrupted (a signal) or failed: the crawl ends with us
            raise
        finally:
            Path(jobfile).unlink(missing_ok=True)
            self.log.close()
            _forget(self)

    def cancel(self) -> None:
        """No job after all: the child reads end-of-file and exits."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.stop(grace=0)
        self.log.close()
        _forget(self)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """End the child's process group: SIGTERM (Scrapy stores what it has and stops),
        then SIGKILL after ``grace`` seconds."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=wait)
        _forget(self)


@dataclass
class StartedChildren:
    """Crawl processes started ahead of their jobs; the first crawls take them."""

    children: list[CrawlChild]

    def take(self) -> CrawlChild | None:
        return self.children.pop(0) if self.children else None

    def cancel_rest(self) -> None:
        while self.children:
            self.children.pop().cancel()


def _forget(child: CrawlChild) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(child)


def stop_all(grace: float = STOP_GRACE) -> None:
    """Stop every crawl child this process started (the command was interrupted): all
    are asked at once, then each is waited for."""
    with _LIVE_LOCK:
        children = list(_LIVE)
    for child in children:
        if child.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.proc.pid, signal.SIGTERM)
    for child in children:
        child.stop(grace)


def run_crawl(
    spider: str,
    arguments: dict[str, Any],
    settings: dict[str, Any],
    *,
    watch: Callable[[subprocess.Popen[str]], None] | None = None,
    child: CrawlChild | None = None,
) -> None:
    """Run one crawl in ``child`` (started earlier) or in a new child process."""
    (child or CrawlChild()).run(spider, arguments, settings, watch=watch)


def run_link_crawls(
    groups: list[list[dict[str, Any]]],
    settings: dict[str, Any],
    *,
    watch: Callable[[subprocess.Popen[str]], None] | None = None,
    children: list[CrawlChild | None],
) -> None:
    """Crawl each group of links with the link spider in a process of its own (``children``,
    started earlier, or new ones), all at once, the global concurrency cap shared out
    between them; ``watch`` follows the first. The first error is raised once every
    process has ended; interrupted, every crawl is stopped."""
    share = -(
        -int(settings.get("CONCURRENT_REQUESTS", SETTINGS["CONCURRENT_REQUESTS"])) // len(groups)
    )
    errors: list[BaseException] = []

    def one(index: int, group: list[dict[str, Any]]) -> None:
        try:
            run_crawl(
                "links",
                {"links": group},
                {**settings, "CONCURRENT_REQUESTS": share},
                watch=watch if index == 0 else None,
                child=children[index],
            )
        except BaseException as exc:  # reported once every process has ended
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i, g)) for i, g in enumerate(groups)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except BaseException:  # interrupted: the crawls end here, while the caller holds its lock
        stop_all()
        raise
    if errors:
        raise errors[0]


def _write_job(spider: str, arguments: dict[str, Any], settings: dict[str, Any]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        # One write: json.dump's many small ones cost half a second on 10,000 links.
        fh.write(json.dumps({"spider": spider, "arguments": arguments, "settings": settings}))
        return fh.name


def _report(spider: str, returncode: int, log: str) -> None:
    """Raise if the crawl failed, with its reason in one line; echo one line per error of
    the crawl itself (a link's failure is the catalog's to record, not an error here)."""
    lines = log.splitlines()
    if os.environ.get(VERBOSE_ENV):
        for line in lines:
            click.echo(f"crawl: {line}", err=True)
    if returncode < 0:
        name = signal.Signals(-returncode).name
        raise ListkeeperError(f"the {spider} crawl was stopped by {name}")
    if returncode != 0:
        raise ListkeeperError(f"the {spider} crawl failed (exit {returncode}): {_reason(lines)}")
    seen: set[str] = set()
    for line in lines:
        match = _LOG_LINE.match(line)
        if match is None or match["logger"].startswith(_PER_LINK_LOGGERS):
            continue
        message = match["msg"][:300]
        if message not in seen:
            seen.add(message)
            click.echo(f"crawl: {message}", err=True)


def _reason(lines: list[str]) -> str:
    """Why a crawl process failed: its own one-line error, else a traceback's last line."""
    for line in reversed(lines):
        if line.startswith(CRAWL_ERROR_PREFIX):
            return line.removeprefix(CRAWL_ERROR_PREFIX)
    for line in reversed(lines):
        if line.strip() and not line.startswith(" "):
            return line.strip()[:300]
    return "no output"
