"""Run a crawl in a child process (``python -m crawler.crawl JOBFILE``) and wait for it.

Twisted's reactor cannot restart in one process, and a crawl killed half-way must never
take its caller (a cron run, the scheduler) with it.

A child can be started before its job is known (:class:`CrawlChild`): it imports Scrapy,
the spiders and the pipelines (most of a second) while the parent reads the catalog, then
reads its job file's path from stdin.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click

from catalog.errors import ListkeeperError


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
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )

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
        finally:
            Path(jobfile).unlink(missing_ok=True)
            self.log.close()

    def cancel(self) -> None:
        """No job after all: the child reads end-of-file and exits."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


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


def _write_job(spider: str, arguments: dict[str, Any], settings: dict[str, Any]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        # One write: json.dump's many small ones cost half a second on 10,000 links.
        fh.write(json.dumps({"spider": spider, "arguments": arguments, "settings": settings}))
        return fh.name


def _report(spider: str, returncode: int, stderr: str) -> None:
    if returncode != 0:
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        raise ListkeeperError(f"the {spider} crawl failed (exit {returncode}): {tail}")
    for line in stderr.splitlines():
        if " ERROR: " in line or "Traceback" in line:
            click.echo(f"crawl: {line}", err=True)
