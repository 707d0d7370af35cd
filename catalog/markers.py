"""Find the managed regions of a README: ``<!-- listkeeper:begin NAME -->`` ... ``end``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from catalog.errors import InputError

# Block structure only: markers are HTML blocks, and inline parsing is most of the cost.
_BLOCKS = MarkdownIt("commonmark").disable("inline")
_MARKER = re.compile(r"^<!--\s*listkeeper:(begin|end)\s+([^\s>]+)\s*-->\s*$")


@dataclass(frozen=True)
class Span:
    name: str
    begin: int  # 0-based index of the begin marker's line
    end: int  # 0-based index of the end marker's line


def begin(name: str) -> str:
    return f"<!-- listkeeper:begin {name} -->"


def end(name: str) -> str:
    return f"<!-- listkeeper:end {name} -->"


def find(text: str, where: str = "README", tokens: list[Token] | None = None) -> list[Span]:
    """The regions in file order. Markers count only as top-level HTML blocks, so a marker
    shown inside a code block (documentation about listkeeper) is left alone. ``tokens``
    reuses a block parse of ``text`` already made (``catalog.readme_parser.block_tokens``)."""
    if tokens is None:
        tokens = _BLOCKS.parse(text)
    spans: list[Span] = []
    open_name: str | None = None
    open_line = 0
    seen: set[str] = set()
    for tok in tokens:
        if tok.type != "html_block" or tok.level != 0 or tok.map is None:
            continue
        first = tok.content.split("\n", 1)[0].strip()
        m = _MARKER.match(first)
        if not m:
            continue
        kind, name = m.group(1), m.group(2)
        line = tok.map[0]
        if kind == "begin":
            if open_name is not None:
                raise InputError(
                    f"{where}:{line + 1}: `begin {name}` inside region `{open_name}` "
                    f"(opened on line {open_line + 1}); close it with `{end(open_name)}`"
                )
            if name in seen:
                raise InputError(f"{where}:{line + 1}: region `{name}` appears twice")
            open_name, open_line = name, line
        else:
            if open_name != name:
                raise InputError(
                    f"{where}:{line + 1}: `end {name}` without a matching `{begin(name)}`"
                )
            spans.append(Span(name, open_line, line))
            seen.add(name)
            open_name = None
    if open_name is not None:
        raise InputError(
            f"{where}:{open_line + 1}: region `{open_name}` is never closed; add `{end(open_name)}`"
        )
    return spans
