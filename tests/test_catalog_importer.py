"""README import: what is found, and how re-imports add, move and remove."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from catalog import db
from catalog.importer import import_readme
from catalog.models import Check, Entry, Link, Occurrence, Section
from catalog.vocabulary import EntryState, LinkKind
from tests.conftest import needs_shared, shared_path

LIST = """\
# Things

## Tools

- [Alpha](https://alpha.example/) - the first
- [Beta](https://beta.example/docs)
  - [Beta plugin](https://beta.example/plugin)

## Papers

| Paper | Link |
| --- | --- |
| Dynamo | [Read](https://papers.example/dynamo)<br/>[Mirror](https://mirror.example/dynamo) |
"""


def _import(engine: Engine, path: Path):  # type: ignore[no-untyped-def]
    with db.session_scope(engine) as s:
        return import_readme(s, path)


def _entries(engine: Engine) -> dict[str, tuple[str, str, str | None]]:
    with db.session_factory(engine)() as s:
        rows = s.execute(
            select(Entry.key, Entry.title, Entry.state, Section.heading).outerjoin(
                Section, Entry.section_id == Section.id
            )
        ).all()
    return {key: (title, state.value, heading) for key, title, state, heading in rows}


def test_import_finds_entries_sections_and_roles(engine: Engine, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(LIST)
    result = _import(engine, readme)
    assert (result.entries, result.added, result.removed) == (4, 4, 0)
    entries = _entries(engine)
    assert entries["https://alpha.example/"] == ("Alpha", "listed", "Tools")
    assert entries["https://beta.example/plugin"] == ("Beta plugin", "listed", "Tools")
    assert entries["https://papers.example/dynamo"] == ("Read", "listed", "Papers")
    with db.session_factory(engine)() as s:
        dynamo = s.scalar(select(Entry).where(Entry.key == "https://papers.example/dynamo"))
        assert dynamo is not None
        assert [(el.role, el.text, el.url) for el in dynamo.links] == [
            ("primary", "Read", "https://papers.example/dynamo"),
            ("related", "Mirror", "https://mirror.example/dynamo"),
        ]
        assert dynamo.description == "Dynamo"
        lines = dict(s.execute(select(Occurrence.written, Occurrence.line)).all())
        assert lines["https://alpha.example/"] == 5
        assert lines["https://mirror.example/dynamo"] == 13


def test_reimport_of_same_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(LIST)
    _import(engine, readme)
    with db.session_factory(engine)() as s:
        before = s.execute(select(Entry.id, Entry.updated_at, Entry.position)).all()
    again = _import(engine, readme)
    assert again.unchanged
    with db.session_factory(engine)() as s:
        assert s.execute(select(Entry.id, Entry.updated_at, Entry.position)).all() == before


def test_reimport_of_edited_file_adds_moves_removes_keeps_history(
    engine: Engine, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(LIST)
    _import(engine, readme)
    with db.session_scope(engine) as s:
        beta = s.scalar(select(Link).where(Link.key == "https://beta.example/docs"))
        assert beta is not None
        s.add(Check(link_id=beta.id, outcome="ok", http_status=200))
        beta_entry_id = s.scalar(select(Entry.id).where(Entry.key == beta.key))
    edited = (
        LIST.replace("- [Alpha](https://alpha.example/) - the first\n", "")
        .replace("## Papers\n", "## Papers\n\n- [Beta, moved](https://beta.example/docs)\n")
        .replace("- [Beta](https://beta.example/docs)\n", "- [Gamma](https://gamma.example/)\n")
    )
    readme.write_text(edited)
    result = _import(engine, readme)
    assert (result.added, result.removed) == (1, 1)
    entries = _entries(engine)
    assert entries["https://alpha.example/"][1] == "removed"
    assert entries["https://beta.example/docs"] == ("Beta, moved", "listed", "Papers")
    assert entries["https://gamma.example/"] == ("Gamma", "listed", "Tools")
    with db.session_factory(engine)() as s:
        # The moved entry is the same row, and its link's history is intact.
        assert s.scalar(select(Entry.id).where(Entry.key == "https://beta.example/docs")) == (
            beta_entry_id
        )
        assert s.scalar(select(func.count()).select_from(Check)) == 1
    readme.write_text(LIST)  # Alpha comes back: the removed entry is listed again
    _import(engine, readme)
    assert _entries(engine)["https://alpha.example/"][1] == "listed"


@needs_shared()
def test_seed_readme_counts_by_kind(engine: Engine, tmp_path: Path) -> None:
    """Every link of the seed list, counted by kind.

    Counted as links written in the file (Markdown inline/reference links, autolinks and
    HTML <a href>), each occurrence once; images are counted apart. Cross-checked with
    `grep -o 'https\\?://'` (138 = 135 external + 3 images), `](#` (116) and `](./` (24).
    """
    seed = shared_path("seeds", "README.md")
    readme = tmp_path / "README.md"
    readme.write_bytes(seed.read_bytes())
    result = _import(engine, readme)
    assert result.by_kind == {
        "anchor": 116,
        "external": 135,
        "image": 3,
        "no_scheme": 1,
        "relative": 24,
    }
    assert result.links == 276
    with db.session_factory(engine)() as s:
        kinds = dict(s.execute(select(Link.kind, func.count()).group_by(Link.kind)).all())
        html = s.scalar(
            select(func.count()).select_from(Occurrence).where(Occurrence.syntax == "html")
        )
        whatsapp = s.scalar(
            select(Entry).where(
                Entry.key == "https://newsletter.systemdesign.one/p/whatsapp-system-design"
            )
        )
        assert whatsapp is not None
        assert [el.role for el in whatsapp.links] == ["primary", "part 2"]
    assert kinds[LinkKind.NO_SCHEME] == 1
    assert html == 8  # the <p align="center"><a href=...> blocks and the licence
    codes = {(p.code, p.line) for p in result.problems}
    text = readme.read_text().splitlines()
    no_scheme_line = next(i for i, t in enumerate(text, 1) if "](newsletter." in t)
    assert ("no-scheme", no_scheme_line) in codes
    mojibake_line = next(i for i, t in enumerate(text, 1) if "McDonaldâ€™s" in t)
    assert ("mojibake", mojibake_line) in codes
    assert any(p.code == "broken-anchor" and "#e-companies" in p.message for p in result.problems)
    assert any(
        p.code == "duplicate" and "netflix-microservices" in p.message for p in result.problems
    )
    assert any(
        p.code == "missing-file" and "learning-paths/beginner.md" in p.message
        for p in result.problems
    )


def test_unreadable_readme_is_input_error(engine: Engine, tmp_path: Path) -> None:
    from catalog.errors import InputError

    bad = tmp_path / "README.md"
    bad.write_bytes(b"# Title\n\xff\xfe not utf-8\n")
    with pytest.raises(InputError, match="not UTF-8"):
        _import(engine, bad)
    with pytest.raises(InputError, match="cannot read"):
        _import(engine, tmp_path / "missing.md")
    with db.session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Entry)) == 0
    assert EntryState.LISTED.value == "listed"


def test_a_heading_removed_from_the_readme_keeps_its_section_marked_absent(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "README.md"
    path.write_text(LIST, encoding="utf-8")
    _import(engine, path)
    path.write_text(LIST.split("## Papers")[0], encoding="utf-8")
    _import(engine, path)
    with db.session_factory(engine)() as s:
        present = {h: p for h, p in s.execute(select(Section.heading, Section.present))}
    assert present == {"Things": True, "Tools": True, "Papers": False}
    path.write_text(LIST, encoding="utf-8")  # back again: the same section, present
    _import(engine, path)
    with db.session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Section)) == 3
        assert all(s.scalars(select(Section.present)))
