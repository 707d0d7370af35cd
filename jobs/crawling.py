"""Run a crawl in a child process (``python -m crawler.crawl JOBFILE``) and wait for it.

Twisted's reactor cannot restart in one process, and a crawl killed half-way must never
take its caller (a cron run, the scheduler) with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from catalog.errors import ListkeeperError


def run_crawl(
    spider: str,
    arguments: dict[str, Any],
    settings: dict[str, Any],
    *,
    watch: Callable[[subprocess.Popen[str]], None] | None = None,
) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"spider": spider, "arguments": arguments, "settings": settings}, fh)
        jobfile = fh.name
    # The child's log goes to a file, not a pipe: a pipe nobody reads while `watch` polls
    # would fill up and stall the crawl.
    with tempfile.TemporaryFile("w+") as log:
        _run(jobfile, log, spider, watch)


def _run(
    jobfile: str,
    log: Any,
    spider: str,
    watch: Callable[[subprocess.Popen[str]], None] | None,
) -> None:
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.crawl", jobfile],
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        if watch is not None:
            watch(proc)
        proc.wait()
        log.seek(0)
        stderr = log.read()
        if proc.returncode != 0:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            raise ListkeeperError(f"the {spider} crawl failed (exit {proc.returncode}): {tail}")
        for line in stderr.splitlines():
            if " ERROR: " in line or "Traceback" in line:
                click.echo(f"crawl: {line}", err=True)
    finally:
        Path(jobfile).unlink(missing_ok=True)
