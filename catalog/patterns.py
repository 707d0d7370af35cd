"""Regular expressions from the config and ``.listkeeperignore``: compiled in one place,
by RE2 (google-re2), whose matching time is linear in the input.

A pattern there is input (a pull request can edit ``.listkeeperignore``), so it must not be
able to hang a check: ``(a+)+$`` against a long URL backtracks for ever in Python's ``re``;
RE2 answers in microseconds. RE2 accepts Python's syntax except lookarounds (``(?=``,
``(?!``, ``(?<=``, ``(?<!``), backreferences (``\\1``, ``(?P=name)``) and repetition counts
over 1000; such a pattern is refused when the config is loaded, with RE2's reason.
Replacements (``[check] remap`` and ``unmap``) take ``\\1`` and ``\\g<name>`` as in ``re``.
"""

from __future__ import annotations

from typing import Any

import re2

Pattern = Any  # a compiled pattern: .search, .match, .sub (re2._Regexp)

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print its own lines to stderr besides ours


class PatternError(ValueError):
    """A pattern the engine cannot run; the message says why."""


def compile_pattern(pattern: str) -> Pattern:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(
            f"bad regular expression {pattern!r}: {reason} (patterns run on RE2, in linear"
            " time: no lookarounds or backreferences)"
        ) from None


def split_rule(rule: str) -> tuple[str, str]:
    """``"PATTERN REPLACEMENT"`` (lychee's remap convention) as its two parts."""
    pattern, _, replacement = str(rule).partition(" ")
    if not pattern or not replacement.strip():
        raise PatternError(f"rule {rule!r} needs 'PATTERN REPLACEMENT'")
    return pattern, replacement.strip()
