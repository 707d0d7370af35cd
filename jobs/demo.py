"""``listkeeper demo``: the whole job on the bundled sample list, with nothing to set up.

It copies the sample README and its config into a working folder, creates an embedded
SQLite catalog there, and runs the job on it. Every host of the sample list ends in
``.test``, so nothing can reach the internet.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from jobs import readme as readme_job
from jobs.context import Context


def demo(workdir: Path) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    sample = resources.files("catalog") / "sample"
    for name in ("README.md", "listkeeper.toml"):
        with resources.as_file(sample / name) as src:
            shutil.copyfile(src, workdir / name)
    readme = workdir / "README.md"
    ctx = Context(
        config_path=workdir / "listkeeper.toml",
        db_url=f"sqlite:///{(workdir / 'listkeeper.db').resolve()}",
    )
    click.echo(f"demo: working in {workdir}/ with catalog {ctx.url}")
    click.echo("== import")
    readme_job.import_(ctx, readme)
    click.echo("== render")
    readme_job.render(ctx, readme, check=False, diff=False, adopt=False)
    code = readme_job.render(ctx, readme, check=True, diff=False, adopt=False)
    click.echo(f"demo: done; open {readme} to see the rendered list")
    return code
