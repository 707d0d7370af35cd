"""Regular expressions from the config and ``.listkeeperignore``: compiled in one place.

A pattern there is input (a pull request can edit ``.listkeeperignore``), so it must not be
able to hang a check: ``(a+)+$`` against a long URL backtracks for ever in Python's ``re``.
"""

from __future__ import annotations

import re
from typing import Any

Pattern = Any  # a compiled pattern: .search, .match, .sub


class PatternError(ValueError):
    """A pattern the engine cannot run; the message says why."""


def compile_pattern(pattern: str) -> Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise PatternError(f"bad regular expression {pattern!r}: {exc}") from None


def split_rule(rule: str) -> tuple[str, str]:
    """``"PATTERN REPLACEMENT"`` (lychee's remap convention) as its two parts."""
    pattern, _, replacement = str(rule).partition(" ")
    if not pattern or not replacement.strip():
        raise PatternError(f"rule {rule!r} needs 'PATTERN REPLACEMENT'")
    return pattern, replacement.strip()
