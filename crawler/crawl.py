"""Run one crawl in this process: ``python -m crawler.crawl JOBFILE``.

The job file (JSON) carries the links to check and the settings; the parent job writes it
and waits. A crawl runs in a process of its own because Twisted's reactor cannot restart,
and so that a killed crawl never takes the caller with it. With ``-`` for JOBFILE the
process imports its components first, then reads the job file's path from stdin (end of
file: no job, exit 0), so that its start-up overlaps the parent's.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list
from twisted.python.failure import Failure

from crawler import CRAWL_ERROR_PREFIX, PARENT_ENV
from crawler.settings import SETTINGS
from crawler.spiders.feeds import FeedsSpider
from crawler.spiders.links import LinksSpider

PR_SET_PDEATHSIG = 1  # prctl(2)
SPIDERS: dict[str, type[scrapy.Spider]] = {"links": LinksSpider, "feeds": FeedsSpider}


def settings_for(overrides: dict[str, Any]) -> Settings:
    settings = Settings()
    settings.setdict(SETTINGS, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def preload() -> None:
    """Import every component the settings name (pipelines, middlewares, extensions)."""
    settings = settings_for({})
    paths: list[str] = [SETTINGS["DOWNLOADER"]]
    for table in ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS"):
        paths += build_component_list(settings.getwithbase(table))
    for path in paths:
        importlib.import_module(path.rpartition(".")[0])


def die_with_parent() -> None:
    """A crawl never outlives the command that started it: on Linux the kernel kills this
    process when its parent dies (``kill -9`` of ``run`` included), so the catalog lock the
    parent held covers its crawl too. The parent names itself in ``PARENT_ENV``: a parent
    that died before this ran (while this process was still starting) is caught too."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    expected = os.environ.get(PARENT_ENV)
    if expected and os.getppid() != int(expected):  # the parent is already gone
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    die_with_parent()
    jobfile = args[0]
    if jobfile == "-":
        preload()
        jobfile = sys.stdin.readline().strip()
        if not jobfile:
            return 0
    job = json.loads(Path(jobfile).read_text(encoding="utf-8"))
    settings = settings_for(job.get("settings", {}))
    process = CrawlerProcess(settings, install_root_handler=True)
    # LOG_LEVEL filters at the handler only; records below it would still be built.
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(settings.get("LOG_LEVEL"))
    name = job.get("spider", "links")
    if name == "queued-links":  # listkeeper worker; imported here: only workers need redis
        from crawler.spiders.queued import QueuedLinksSpider

        SPIDERS[name] = QueuedLinksSpider
    spider = SPIDERS[name]
    failures: list[Failure] = []
    crawl = process.crawl(spider, **job.get("arguments", {"links": job.get("links", [])}))
    crawl.addErrback(failures.append)  # a crawl that cannot start ends at once, silently
    process.start()
    if failures:
        # One line for the parent to show (jobs.crawling reads the last line of the log).
        failure = failures[0]
        message = " ".join(failure.getErrorMessage().split())
        print(f"{CRAWL_ERROR_PREFIX}{type(failure.value).__name__}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    profile = os.environ.get("LISTKEEPER_PROFILE")  # a developer's switch: cProfile output path
    if profile:
        import cProfile

        cProfile.run("main()", profile)
        sys.exit(0)
    code = main()
    # The pipelines have committed and closed the catalog: skip the interpreter's teardown
    # of Scrapy, Twisted and SQLAlchemy (a sixth of a second of CPU per crawl).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
