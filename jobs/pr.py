"""``listkeeper pr``: the one bot pull request, on a real clone with the real ``git``.

1. Read ``[pr]``; the token is ``GITHUB_TOKEN`` (never printed, redacted from every error).
2. ``git ls-remote`` and ``git fetch`` the base branch and the bot's branch into a private
   namespace (``refs/listkeeper/*``): the clone's own branches, index and working tree are
   never touched, so this runs as well in a CI checkout as in a maintainer's clone.
3. The README *as it is on the base branch* is imported (what contributors merged is
   kept), re-rendered from the catalog, and the allowed changes are made
   (``catalog.pullrequest``).
4. Nothing changed: nothing is pushed or opened, and the bot's stale open pull request is
   closed. Otherwise one commit on top of the base, authored by the bot, is pushed to the
   bot's branch with ``--force-with-lease`` — but only when every commit the branch has
   beyond the base is the bot's: a maintainer's commit there stops the job with one line
   (exit 1) rather than being thrown away. Then the open pull request is updated, or one
   is opened (GitHub's 422 "already exists" leads to the existing one).
5. What was proposed is stored in the ``runs`` table (job ``pr``), so that a rewrite a
   maintainer reverted is not proposed again.

``--dry-run`` fetches (read-only) and prints the diff and the body; it pushes nothing,
sends nothing to GitHub and leaves the catalog as it was.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import db, markers
from catalog import pullrequest as prlogic
from catalog.errors import ConfigError, InputError, ListkeeperError
from catalog.guard import verify
from catalog.importer import apply, document_key
from catalog.models import Link, Occurrence, PageReference, Run
from catalog.output import add_secret, redact
from catalog.queries import document_by_path, render_entries
from catalog.readme_parser import MarkdownError, parse_markdown
from catalog.relined import relined
from catalog.render import render_document, unified_diff
from catalog.reports import build_report
from catalog.repos import archived_rows
from catalog.vocabulary import LinkStatus, utcnow
from jobs.context import Context
from jobs.github import TOKEN_ENV, GitHub, Redactor
from jobs.readme import rerenderer
from jobs.wayback import nearest_capture

PRIVATE_BASE = "refs/listkeeper/base"
PRIVATE_HEAD = "refs/listkeeper/head"


def today() -> date:
    """The day ignore comments are compared with (tests replace it)."""
    return utcnow().date()


class GitError(ListkeeperError):
    pass


class Git:
    """The real ``git`` on a clone; every message goes through the redactor."""

    def __init__(self, cwd: Path, redact: Redactor) -> None:
        self.cwd = cwd
        self.redact = redact

    def run(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                input=input,
                capture_output=True,
                env=full_env,
                timeout=600,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ConfigError("git is not installed (listkeeper pr needs the git command)") from exc
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} took more than 10 minutes; gave up") from exc
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            last = next((line for line in reversed(err) if line.strip()), "failed")
            raise GitError(self.redact(f"git {args[0]} failed: {last.strip()}"))
        return done.stdout.decode("utf-8", "replace")

    def show_bytes(self, rev: str, path: str) -> bytes:
        done = subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=self.cwd, capture_output=True, check=False
        )
        if done.returncode != 0:
            raise InputError(f"{path} is not on the base branch ({rev[:12]}); commit it first")
        return done.stdout


@dataclass
class Plan:
    settings: prlogic.PrSettings
    repo: str
    base: str
    base_sha: str
    head_sha: str | None  # the bot's branch on the remote, None when absent
    path: str  # the README inside the repository
    base_text: str
    new_text: str
    outcome: prlogic.Outcome
    body: str
    refused: list[tuple[str, str]]
    bom: bool = False  # the base README starts with a UTF-8 byte order mark: kept


def pr(ctx: Context, *, dry_run: bool, api_url: str | None) -> int:
    config = ctx.config
    where = config.where
    settings = config.tables.pr or prlogic.PrSettings(api_url=config.tables.github.api_url)
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token and not dry_run:
        raise ConfigError(
            f"{TOKEN_ENV} is not set: listkeeper pr needs a token that may push and open "
            "pull requests (or use --dry-run)"
        )
    if api_url is not None and not api_url.startswith(("https://", "http://")):
        raise ConfigError(f"--api-url must be an http(s) URL, not {api_url!r}")
    add_secret(token)
    redactor = Redactor(token)
    readme = config.readme
    git = Git(readme.resolve().parent, redactor)
    try:
        top = Path(git.run("rev-parse", "--show-toplevel").strip())
    except GitError as exc:
        raise ConfigError(f"{readme}: not in a git clone ({exc})") from exc
    path = PurePosixPath(readme.resolve().relative_to(top.resolve())).as_posix()
    git = Git(top, redactor)
    repo = settings.repo or _repo_from_remote(git, settings.remote, where)
    github = None if dry_run else GitHub(api_url or settings.api_url, token, repo)

    base = settings.base or _default_branch(git, settings.remote)
    heads = _ls_remote(git, settings.remote, base, settings.branch)
    if base not in heads:
        raise ConfigError(
            f"{where}: [pr] base branch {base!r} is not on remote {settings.remote!r}"
        )
    refspecs = [f"+refs/heads/{base}:{PRIVATE_BASE}"]
    if settings.branch in heads:
        refspecs.append(f"+refs/heads/{settings.branch}:{PRIVATE_HEAD}")
    git.run("fetch", "--quiet", "--no-tags", settings.remote, *refspecs)

    open_pull = github.open_pull(settings.branch) if github is not None else None
    # A dry run cannot ask whether the last pull request is still open: it assumes so.
    plan = _plan(
        ctx,
        settings,
        git,
        repo,
        base,
        heads,
        path,
        open_pr=open_pull is not None or dry_run,
        keep=not dry_run,
    )
    plan.head_sha = heads.get(settings.branch)
    diff = unified_diff(plan.base_text, plan.new_text, path)
    changed = plan.new_text != plan.base_text

    if dry_run:
        return _dry_run(git, plan, diff, changed)

    assert github is not None
    if not changed:
        if open_pull is not None:
            github.close_pull(open_pull.number)
            click.echo(f"{path}: up to date; closed the stale pull request #{open_pull.number}")
        else:
            click.echo(f"{path}: up to date; no pull request needed")
        _remember(ctx, plan, pr_number=None)
        return 0

    if plan.head_sha is not None:
        foreign = _foreign_commits(git, plan.base_sha, plan.head_sha, settings.author_email)
        if foreign:
            raise ListkeeperError(
                f"{settings.remote}/{settings.branch} has {len(foreign)} commit(s) not made by "
                f"the bot ({foreign[0]}): listkeeper will not force-push over them; merge or "
                "close its pull request, or delete the branch, then run again"
            )
    commit = _commit(git, plan)
    if plan.head_sha is not None and _same_content(git, plan.base_sha, plan.head_sha, commit):
        click.echo(f"{settings.branch} already holds this change; not pushed again")
    else:
        git.run(
            "push",
            "--quiet",
            "--porcelain",
            f"--force-with-lease=refs/heads/{settings.branch}:{plan.head_sha or ''}",
            settings.remote,
            f"{commit}:refs/heads/{settings.branch}",
        )
        click.echo(f"pushed {settings.branch} ({commit[:12]}) to {settings.remote}")

    if open_pull is not None:
        pull = github.update_pull(open_pull.number, title=settings.title, body=plan.body)
        click.echo(f"updated pull request #{pull.number}: {pull.html_url}")
    else:
        pull = github.create_pull(
            title=settings.title, head=settings.branch, base=base, body=plan.body
        )
        click.echo(f"pull request #{pull.number}: {pull.html_url}")
    _remember(ctx, plan, pr_number=pull.number)
    return 0


def _plan(
    ctx: Context,
    settings: prlogic.PrSettings,
    git: Git,
    repo: str,
    base: str,
    heads: dict[str, str],
    path: str,
    *,
    open_pr: bool,
    keep: bool,
) -> Plan:
    readme = ctx.config.readme
    base_sha = heads[base]
    raw = git.show_bytes(base_sha, path)
    try:
        base_text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} on {base}: not UTF-8 (byte {exc.start})") from exc
    try:
        parsed = parse_markdown(base_text, base_dir=readme.parent)
    except MarkdownError as exc:
        raise InputError(f"{path} on {base}: {exc}") from exc
    key = document_key(readme)
    with db.session_factory(ctx.engine())() as session:
        # The README of the base branch is what the pull request is made against.
        apply(session, key, base_text, parsed)
        doc = document_by_path(session, key)
        assert doc is not None
        entries = render_entries(session, doc.id)
        if not settings.add_candidates:
            entries = [e for e in entries if e.line is not None]  # accepted, not yet listed
        rendered = render_document(base_text, ctx.config, entries, where=path)
        changes = prlogic.changes_from(
            _change_rows(session, doc.id) + _changed_rows(session, doc.id),
            settings,
            archive=_wayback(settings),
            archive_before=_wayback(settings, before=True),
        ) + prlogic.archived_changes(archived_rows(session, doc.id), settings)
        last = _last_stats(session)
        refused = prlogic.refused_rewrites(last, open_pr=open_pr, base_text=base_text)
        # The render part first, as ``render`` checks it: nothing outside the regions
        # changes, no entry, link or hand-written text inside them is lost or moved.
        verify(
            base_text,
            rendered,
            where=f"{path} on {base}",
            action="pr",
            outside_kept=True,
            kinds={r.name: r.kind for r in ctx.config.regions},
        )
        managed = {
            n + 1 for span in markers.find(rendered, path) for n in range(span.begin + 1, span.end)
        }
        outcome = prlogic.apply_changes(
            rendered, changes, today=today(), rejected=refused, managed=managed
        )
        outcome = prlogic.repair_hygiene(
            outcome, today=today(), mojibake=settings.repair_mojibake, base_dir=readme.parent
        )
        # Then what is pushed: the changes edit text on purpose, but no entry or link goes
        # beyond the rewrites meant, and the next render changes nothing.
        verify(
            base_text,
            outcome.text,
            where=f"{path} on {base}",
            action="pr",
            rerender=rerenderer(ctx.config, entries, path),
            renames={
                a.change.old: a.change.new
                for a in outcome.applied
                if a.change.kind in ("rewrite", "archive", "scheme")
            },
            text_kept=False,
        )
        # Line numbers of the README the pull request proposes, not of the one imported.
        report = relined(build_report(session, document_path=key), key, outcome.text, readme.parent)
        if keep:
            session.commit()
        else:
            session.rollback()  # a dry run leaves the catalog as it was
    body = redact(prlogic.body(report, outcome, readme=path))  # sent to GitHub: filtered
    return Plan(
        settings=settings,
        repo=repo,
        base=base,
        base_sha=base_sha,
        head_sha=None,
        path=path,
        base_text=base_text,
        new_text=outcome.text,
        outcome=outcome,
        body=body,
        refused=refused,
        bom=raw.startswith(b"\xef\xbb\xbf"),
    )


def _wayback(settings: prlogic.PrSettings, *, before: bool = False) -> prlogic.ArchiveLookup:
    """The archived copy of a dead link: the capture nearest the day it entered the list;
    *before*: the capture nearest before the day its page changed."""

    def lookup(url: str, since: date) -> str | None:
        capture = nearest_capture(url, since, api_url=settings.wayback_api, before=before)
        return capture.archive_url if capture is not None else None

    return lookup


def _change_rows(
    session: Session, document_id: int
) -> list[tuple[str, int, str, str | None, date]]:
    rows = session.execute(
        select(Occurrence.written, Occurrence.line, Link.status, Link.final_url, Link.created_at)
        .join(Link, Occurrence.link_id == Link.id)
        .where(
            Occurrence.document_id == document_id,
            Link.status.in_([LinkStatus.REDIRECTED, LinkStatus.DEAD]),
        )
        .order_by(Occurrence.line)
    )
    return [
        (written, line, LinkStatus(status).value, final, created.date())
        for written, line, status, final, created in rows
    ]


def _changed_rows(
    session: Session, document_id: int
) -> list[tuple[str, int, str, str | None, date]]:
    """Links whose page is confirmed parked or replaced, with the day it changed:
    ``pr`` treats them as ``[pr] dead`` says."""
    rows = session.execute(
        select(
            Occurrence.written, Occurrence.line, PageReference.change_kind, PageReference.changed_at
        )
        .join(Link, Occurrence.link_id == Link.id)
        .join(PageReference, PageReference.link_id == Link.id)
        .where(
            Occurrence.document_id == document_id,
            Link.status == LinkStatus.SUSPECT,
            PageReference.change_confirmed.is_(True),
        )
        .order_by(Occurrence.line)
    )
    return [
        (written, line, kind, None, changed.date())
        for written, line, kind, changed in rows
        if kind and changed is not None
    ]


def _last_stats(session: Session) -> dict[str, Any] | None:
    row = session.scalar(
        select(Run).where(Run.job == "pr", Run.status == "done").order_by(Run.id.desc()).limit(1)
    )
    return row.stats if row is not None else None


def _remember(ctx: Context, plan: Plan, *, pr_number: int | None) -> None:
    proposed = [[c.old, c.new] for c in plan.outcome.proposed("rewrite")]
    with db.session_scope(ctx.engine()) as session:
        session.add(
            Run(
                job="pr",
                status="done",
                finished_at=utcnow(),
                stats={
                    "pr": pr_number,
                    "proposed": proposed,
                    "refused": [list(r) for r in plan.refused],
                    "changes": len(plan.outcome.applied),
                },
            )
        )


def _dry_run(git: Git, plan: Plan, diff: str, changed: bool) -> int:
    s = plan.settings
    if changed:
        click.echo(diff, nl=False)
    else:
        click.echo(
            f"{plan.path}: up to date; no pull request would be opened "
            "(an open one of the bot's would be closed)"
        )
    if plan.head_sha is not None:
        foreign = _foreign_commits(git, plan.base_sha, plan.head_sha, s.author_email)
        if foreign:
            click.echo(
                f"warning: {s.remote}/{s.branch} has commit(s) not made by the bot "
                f"({foreign[0]}): a real run would stop",
                err=True,
            )
    click.echo(f"\n--- pull request (dry run): {plan.repo} {s.branch} → {plan.base}")
    click.echo(f"title: {s.title}\n")
    click.echo(plan.body)
    return 0


def _repo_from_remote(git: Git, remote: str, where: str) -> str:
    try:
        url = git.run("remote", "get-url", remote).strip()
    except GitError as exc:
        raise ConfigError(f"{where}: [pr] remote {remote!r}: {exc}") from exc
    repo = prlogic.repo_from_url(url)
    if repo is None:
        raise ConfigError(f'{where}: [pr] repo = "owner/name" is needed (remote {remote!r})')
    return repo


def _default_branch(git: Git, remote: str) -> str:
    out = git.run("ls-remote", "--symref", remote, "HEAD")
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/"):
            return line.split()[1].removeprefix("refs/heads/")
    return "main"


def _ls_remote(git: Git, remote: str, *branches: str) -> dict[str, str]:
    out = git.run("ls-remote", "--heads", remote, *(f"refs/heads/{b}" for b in branches))
    heads: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        heads[ref.removeprefix("refs/heads/")] = sha
    return heads


def _foreign_commits(git: Git, base_sha: str, head_sha: str, bot_email: str) -> list[str]:
    """The commits of the bot's branch beyond the base that the bot did not author."""
    out = git.run("log", "--format=%H%x1f%ae%x1f%an", f"{base_sha}..{head_sha}")
    foreign = []
    for line in out.splitlines():
        sha, email, name = [*line.split("\x1f"), "", ""][:3]
        if email.lower() != bot_email.lower():
            foreign.append(f"{sha[:12]} by {name}")
    return foreign


def _commit(git: Git, plan: Plan) -> str:
    """One commit on top of the base with the new README, built without a checkout."""
    s = plan.settings
    listing = git.run("ls-tree", plan.base_sha, "--", plan.path).split()
    mode = listing[0] if listing else "100644"
    blob = git.run("hash-object", "-w", "--stdin", input=_encoded(plan)).strip()
    with tempfile.TemporaryDirectory(prefix="listkeeper-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("read-tree", plan.base_sha, env=env)
        git.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{plan.path}", env=env)
        tree = git.run("write-tree", env=env).strip()
    n = len(plan.outcome.applied)
    message = f"listkeeper: update {plan.path}\n\nRe-rendered from the catalog"
    message += f"; {n} link change{'s' if n != 1 else ''}.\n" if n else ".\n"
    identity = {
        "GIT_AUTHOR_NAME": s.author_name,
        "GIT_AUTHOR_EMAIL": s.author_email,
        "GIT_COMMITTER_NAME": s.author_name,
        "GIT_COMMITTER_EMAIL": s.author_email,
    }
    commit = git.run("commit-tree", tree, "-p", plan.base_sha, input=message.encode(), env=identity)
    commit = commit.strip()
    git.run("update-ref", PRIVATE_HEAD, commit)
    return commit


def _encoded(plan: Plan) -> bytes:
    """The proposed README's bytes: UTF-8, with the base's byte order mark if it had one."""
    return (b"\xef\xbb\xbf" if plan.bom else b"") + plan.new_text.encode()


def _same_content(git: Git, base_sha: str, head_sha: str, commit: str) -> bool:
    """The remote branch already holds this README on top of this base."""
    same_tree = git.run("rev-parse", f"{head_sha}^{{tree}}") == git.run(
        "rev-parse", f"{commit}^{{tree}}"
    )
    if not same_tree:
        return False
    try:
        git.run("merge-base", "--is-ancestor", base_sha, head_sha)
    except GitError:
        return False
    return True
