"""The README jobs: init, import, render, and db upgrade."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import click
from sqlalchemy.orm import Session

from catalog import adopt as adopt_mod
from catalog import config as config_mod
from catalog import db
from catalog import regroup as regroup_mod
from catalog.errors import ConfigError, InputError
from catalog.guard import reimported, verify
from catalog.importer import ImportResult, document_key, import_readme, read_readme
from catalog.lines import split_lines
from catalog.parsed import ParsedDocument
from catalog.queries import RenderEntry, document_by_path, page_texts, render_entries
from catalog.readme_parser import MarkdownError, parse_markdown
from catalog.render import Ranges, render_document, unified_diff
from catalog.urls import link_key
from jobs.context import Context
from jobs.files import atomic_write

__all__ = ["atomic_write", "import_", "init", "render"]

STARTER = """\
# listkeeper configuration: https://github.com/listkeeper/listkeeper#configuration

[readme]
path = {readme}

[catalog]
# database = "sqlite:///listkeeper.db"  # or postgresql+psycopg://...; env LISTKEEPER_DB wins

[verdicts]
dead_after_checks = 2   # consecutive permanent failures before a link is dead
dead_after_hours = 20   # ... spread over at least this many hours

# Managed regions of the README: <!-- listkeeper:begin NAME --> ... <!-- listkeeper:end NAME -->
{regions}"""


def init(ctx: Context, from_readme: Path | None, *, force: bool) -> int:
    target = ctx.config_path or config_mod.DEFAULT_PATH
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; pass --force to overwrite it")
    regions: list[config_mod.Region] = []
    readme = from_readme or Path("README.md")
    if from_readme is not None:
        text = read_readme(from_readme)
        regions = adopt_mod.detect(text, _parse(text, from_readme))
    rel = os.path.relpath(readme, target.parent.resolve() if target.parent else ".")
    body = STARTER.format(
        readme=config_mod.toml_str(Path(rel).as_posix()),
        regions=config_mod.dump_regions(regions) if regions else "# (none yet)\n",
    )
    target.write_text(body, encoding="utf-8")
    ctx._config = None
    db.upgrade(ctx.url)
    click.echo(f"wrote {target} ({len(regions)} managed regions); catalog at {ctx.url}")
    for r in regions:
        click.echo(f"  region {r.name}: {r.kind} of “{r.group}”")
    if regions:
        click.echo(f"next: listkeeper render --adopt {readme}")
    return 0


def _parse(text: str, path: Path) -> ParsedDocument:
    try:
        return parse_markdown(text, base_dir=path.parent)
    except MarkdownError as exc:
        raise InputError(f"{path}: {exc}") from exc


def print_import(result: ImportResult) -> None:
    kinds = ", ".join(f"{k} {n}" for k, n in result.by_kind.items())
    click.echo(
        f"{result.path}: {result.sections} sections, {result.entries} entries, "
        f"{result.links} links ({kinds})"
    )
    if result.unchanged:
        click.echo("unchanged since the last import")
    else:
        click.echo(f"added {result.added}, updated {result.updated}, removed {result.removed}")
    for p in result.problems:
        click.echo(f"{result.path}:{p.line}: {p.code}: {p.message}")


def import_(ctx: Context, readme: Path) -> int:
    with db.session_scope(ctx.engine()) as session:
        result = import_readme(session, readme)
        print_import(result)
        text = read_readme(readme)
        parsed = _parse(text, readme)
        regions = list(ctx.config.regions) or adopt_mod.detect(text, parsed)
        found = regroup_mod.placements(text, parsed, regions, _pages(session, parsed))[0]
    print_placements(document_key(readme), found)
    return 0


def _pages(session: Session, parsed: ParsedDocument) -> dict[str, str]:
    """What the catalog stored about each entry's page (evidence for regrouping)."""
    return page_texts(session, (link_key(item.links[0].url) for item in parsed.items))


def print_placements(
    where: str, placements: list[regroup_mod.Placement], moved: bool = False
) -> None:
    """Each entry outside the letter groups: moved, or the suggestion and its evidence."""
    if not placements:
        return
    count = 0
    for p in placements:
        if p.section is None:
            continue
        verb = "moved to" if moved and p.confident else "suggested for"
        count += moved and p.confident
        click.echo(
            f"{where}:{p.line}: outside any group: “{p.title}” {verb} {p.section} "
            f"(confidence {p.confidence:.2f}): {'; '.join(p.evidence)}"
        )
    sure = sum(1 for p in placements if p.confident)
    nowhere = sum(1 for p in placements if p.section is None)
    summary = f"{len(placements)} entries outside any group: "
    if moved:
        summary += f"{count} moved, {len(placements) - count - nowhere} left as suggestions"
    else:
        summary += f"{sure} confident enough to move (`render --adopt --regroup`)"
    click.echo(f"{summary}, {nowhere} fit no group")


def render(
    ctx: Context, readme: Path, *, check: bool, diff: bool, adopt: bool, regroup: bool = False
) -> int:
    if regroup and not adopt:
        raise InputError("render --regroup works with --adopt: `render --adopt --regroup README`")
    config = ctx.config
    factory = db.session_factory(ctx.engine())
    placements: list[regroup_mod.Placement] = []
    with factory() as session:
        old = read_readme(readme)
        import_readme(session, readme)
        text, owned, sections = old, None, {}
        if adopt:
            config, text, owned, placements = _adopt(
                config, readme, old, regroup=regroup, session=session
            )
            sections = {p.line: p.section for p in placements if regroup and p.confident}
        new, entries = _render(session, config, readme, text, owned, sections)
        if new != old:
            # Checked before anything is written, --check and --diff included: a render
            # that would damage the README says why instead (exit 1).
            verify(
                old,
                new,
                where=str(readme),
                action="render --adopt" if adopt else "render",
                rerender=rerenderer(config, entries, str(readme)),
                outside_kept=not adopt,
                kinds={r.name: r.kind for r in config.regions},
            )
        if check or diff:
            session.rollback()  # --check and --diff change nothing, the catalog included
        else:
            session.commit()
    where = document_key(readme)
    if check:
        if new != old:
            changed = sum(
                1 for line in split_lines(unified_diff(old, new, where)) if line[:1] in "+-"
            )
            click.echo(f"{where} is stale: {changed} diff lines; run `listkeeper render {readme}`")
            return 2
        click.echo(f"{where} is up to date")
        return 0
    if diff or adopt:
        click.echo(unified_diff(old, new, where), nl=False)
    print_placements(where, placements, moved=regroup)
    if diff:
        return 0
    if new != old:
        atomic_write(readme, new, bom=has_bom(readme))
        # The rendered file is now the README: import it so that the catalog's lines (and
        # every report's line numbers) point at it, not at the file before rendering.
        with factory() as session, session.begin():
            import_readme(session, readme)
        click.echo(f"{where}: rendered")
    else:
        click.echo(f"{where}: unchanged")
    return 0


def has_bom(path: Path) -> bool:
    """The file starts with a UTF-8 byte order mark (kept when it is written again)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


def rerenderer(
    config: config_mod.Config, entries: Sequence[RenderEntry], where: str
) -> Callable[[str, ParsedDocument], str]:
    """A second render of a text, from the entries a fresh import of it gives (what the
    catalog knows of each link kept): what the next ``render`` would write."""
    known = {link.url: link for e in entries for link in e.links}

    def again(text: str, parsed: ParsedDocument) -> str:
        return render_document(text, config, reimported(parsed, known), where=where)

    return again


def _adopt(
    config: config_mod.Config,
    readme: Path,
    text: str,
    *,
    regroup: bool = False,
    session: Session | None = None,
) -> tuple[config_mod.Config, str, Ranges, list[regroup_mod.Placement]]:
    parsed = _parse(text, readme)
    regions = list(config.regions) or adopt_mod.detect(text, parsed)
    if not regions:
        raise ConfigError(
            f"{readme}: no A–Z index or letter group recognised, and none configured; "
            "add [[render.regions]] to listkeeper.toml"
        )
    if not config.regions:
        config = dataclasses.replace(config, regions=tuple(regions))
    pages = _pages(session, parsed) if session is not None else {}
    placements = regroup_mod.placements(text, parsed, regions, pages)[0]
    moves = [
        (p.line, p.end_line, p.region)
        for p in placements
        if regroup and p.confident and p.region is not None
    ]
    new, owned = adopt_mod.restructure(text, parsed, regions, moves)
    return config, new, owned, placements


def _render(
    session: Session,
    config: config_mod.Config,
    readme: Path,
    text: str,
    owned: Ranges | None = None,
    sections: dict[int, str | None] | None = None,
) -> tuple[str, list[RenderEntry]]:
    """The rendered text and the entries it was rendered from. ``sections``: line ->
    section, for entries that ``--regroup`` moves into a group."""
    doc = document_by_path(session, document_key(readme))
    entries = render_entries(session, doc.id) if doc else []
    if sections:
        entries = [
            dataclasses.replace(e, section=sections[e.line] or e.section)
            if e.line in sections
            else e
            for e in entries
        ]
    return render_document(text, config, entries, where=str(readme), owned_lines=owned), entries


def db_upgrade(ctx: Context, revision: str) -> int:
    db.upgrade(ctx.url, revision)
    engine = db.make_engine(ctx.url)
    try:
        click.echo(f"catalog at revision {db.current_revision(engine)}")
    finally:
        engine.dispose()
    return 0
