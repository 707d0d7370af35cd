"""``listkeeper check --added-since REF``: the links a pull request adds to the list,
checked once, strictly, in a scratch catalog."""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from catalog import db
from catalog.config import Verdicts
from catalog.errors import ConfigError
from catalog.models import Link
from catalog.vocabulary import LinkStatus, utcnow
from jobs import check as check_job
from jobs.context import Context


def check_added(ctx: Context, ref: str, readme: Path, options: check_job.CheckOptions) -> int:
    """Check only the links ``readme`` gained since ``ref``, once, strictly, in a throwaway
    catalog: what a pull request to the list is judged by. Exit 2 if one is not healthy."""
    old = _git_readme_at(ref, readme)

    # Imported here: only this path parses Markdown, and every check pays for its imports.
    from catalog.importer import document_key, import_readme
    from catalog.readme_parser import parse_markdown
    from catalog.urls import link_key

    doc = document_key(readme)
    before = {link_key(ref_.url, doc) for ref_ in parse_markdown(old).links}
    with tempfile.TemporaryDirectory(prefix="listkeeper-added-") as tmp:
        scratch = Context(config_path=ctx.config_path, db_url=f"sqlite:///{tmp}/added.db")
        scratch._config = dataclasses.replace(
            ctx.config, verdicts=Verdicts(dead_after_checks=1, dead_after_hours=0)
        )
        engine = scratch.engine()
        with db.session_scope(engine) as s:
            import_readme(s, readme)
            links = s.scalars(select(Link)).all()
            added = [link for link in links if link.key not in before]
            for link in links:
                if link.key in before:
                    link.next_check_at = utcnow() + timedelta(days=3650)  # not this PR's
        click.echo(f"{len(added)} links added since {ref}")
        if not added:
            return 0
        check_job.check(scratch, dataclasses.replace(options, all_links=False, fail_on="never"))
        with db.session_factory(engine)() as s:
            ids = [a.id for a in added]
            rows = s.execute(
                select(Link.id, Link.url, Link.status, Link.error).where(Link.id.in_(ids))
            ).all()
            archived = _archived_added(s, ctx, readme, ids)
    failed = (LinkStatus.DEAD, LinkStatus.FAILING, LinkStatus.SUSPECT)
    bad = [r for r in rows if r.status in failed or r.id in archived]
    for link_id, url, status, error in rows:
        shown = "archived" if link_id in archived and status not in failed else status.value
        why = error or archived.get(link_id)
        click.echo(f"{shown:<10} {url}{f'  ({why})' if why else ''}")
    return 2 if bad and options.fail_on == "dead" else 0


def _archived_added(session: Any, ctx: Context, readme: Path, ids: list[int]) -> dict[int, str]:
    """The added links to archived repositories, when ``[github] reject_archived`` (the
    default) says a list takes none; one kept on purpose (an ignore comment) is welcome."""
    from catalog.models import Occurrence
    from catalog.pullrequest import ignores
    from catalog.repos import latest_facts

    if not ctx.config.tables.github.reject_archived:
        return {}
    facts = {i: f for i, f in latest_facts(session, ids).items() if f.archived}
    if not facts:
        return {}
    kept = ignores(readme.read_text(encoding="utf-8"), utcnow().date())
    lines = session.execute(
        select(Occurrence.link_id, Occurrence.line).where(Occurrence.link_id.in_(list(facts)))
    ).all()
    on_purpose = {link_id for link_id, line in lines if line in kept}
    return {
        i: f"archived repository {f.name_with_owner}: a list takes none ([github] reject_archived)"
        for i, f in facts.items()
        if i not in on_purpose
    }


def _git_readme_at(ref: str, readme: Path) -> str:
    """README's text at the commit ``ref`` names. ``ref`` comes from a CI's command line
    (a pull request's base): it is verified as a commit first, options ended before it, so
    ``--output=FILE`` or the like reaches git as a name, never as an option."""
    if not ref or ref.startswith("-"):
        raise ConfigError(
            f"--added-since {ref!r}: not a revision; give a branch, tag or commit, e.g. origin/main"
        )

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=readme.parent.resolve(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    try:
        commit = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        raise ConfigError(
            f"--added-since {ref}: no such commit in the git repository of {readme};"
            " give a branch, tag or commit (fetch it first in a shallow CI clone)"
        ) from exc
    try:
        return git("show", "--end-of-options", f"{commit.strip()}:./{readme.name}")
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip().splitlines()
        raise ConfigError(
            f"--added-since {ref}: cannot read {readme} there"
            + (f": {detail[-1]}" if detail else "")
        ) from exc
