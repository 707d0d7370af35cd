"""The progress bar of a check on a terminal."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from sqlalchemy import func, select

from catalog import db


def progress_bar(engine: Any, proc: subprocess.Popen[str], run_id: int, total: int) -> None:
    """A progress bar on a terminal (rich), from the checks the crawl has stored."""
    if not sys.stderr.isatty():
        return
    from rich.console import Console
    from rich.progress import Progress

    from catalog.models import Check
    from catalog.output import unfiltered

    # The bar's own escape codes go to the terminal as they are: the output filter would
    # make them visible. It shows counts only, nothing from the web.
    console = Console(file=unfiltered(sys.stderr), stderr=True)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("checking", total=total)
        while proc.poll() is None:
            with db.session_factory(engine)() as s:
                done = s.scalar(select(func.count()).where(Check.run_id == run_id)) or 0
            bar.update(task, completed=done)
            time.sleep(0.5)
