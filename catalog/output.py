"""The one filter on what leaves the process: secrets redacted, terminal controls made visible.

Every output path goes through it: stdout and stderr (and so click's messages, logging's
handlers and Python's tracebacks, which write there) once :func:`filtered_streams` is in
place, which ``listkeeper``'s entry point does; reports and the pull request's body through
:func:`redact` before they are written or sent. Code that talks to a service with a secret
(the GitHub token, by REST or GraphQL) registers it with :func:`add_secret`, so that it is
redacted wherever it turns up, whole or in part, including in text of the service's own.

Redacted: each registered secret, every 8-character fragment of one (a message cut at a
length limit still hides a token's half), anything shaped like a GitHub token whether
registered or not (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``), and
the ``user:password@`` of any URL. On the terminal streams, control characters (C0 but tab
and newline, DEL, C1) and bidi embeddings, overrides and isolates are replaced by visible
stand-ins: a web page's title cannot clear the screen, set the window title or reorder a
line.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = [
    "FilteredStream",
    "RedactingFilter",
    "Redactor",
    "add_secret",
    "filtered_streams",
    "for_terminal",
    "redact",
    "unfiltered",
]

FRAGMENT = 8  # a run of this many characters of a secret is redacted wherever it appears
MASK = "***"
_TOKEN_SHAPE = re.compile(r"gh[pousr]_[A-Za-z0-9]{10,}|github_pat_[A-Za-z0-9_]{10,}")
# A URL's user:password@ ("://" first: a literal the regex engine scans for quickly).
_USERINFO = re.compile(r"://[^/@\s]+@")
_WORDY = re.compile(r"[\w-]+")


class _Secret:
    """One secret and the fragments of it that give it away."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.grams = frozenset(value[i : i + FRAGMENT] for i in range(len(value) - FRAGMENT + 1))
        # Every FRAGMENT-long piece of the secret holds one of these aligned quarters-of-a-
        # piece, so str.find on them (C speed) finds every candidate place; only there are
        # the pieces compared.
        step = FRAGMENT // 2
        self.anchors = frozenset(value[i : i + step] for i in range(0, len(value) - step + 1, step))
        # A fragment is redacted with the run of characters around it that could belong to
        # the secret: the word for a token, the whitespace-free run for anything else.
        self.in_run = _is_word_char if _WORDY.fullmatch(value) else _is_nonspace

    def sub(self, text: str) -> str:
        if self.value in text:
            text = text.replace(self.value, MASK)
        spans = self._fragments(text)
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(MASK)
            last = end
        out.append(text[last:])
        return "".join(out)

    def _fragments(self, text: str) -> list[tuple[int, int]]:
        """The runs of *text* that hold a piece of the secret, in order, merged."""
        hits: set[int] = set()
        step = FRAGMENT // 2
        for anchor in self.anchors:
            at = text.find(anchor)
            while at != -1:
                for i in range(max(0, at - step), at + 1):
                    if text[i : i + FRAGMENT] in self.grams:
                        hits.add(i)
                        break
                at = text.find(anchor, at + 1)
        spans: list[tuple[int, int]] = []
        for hit in sorted(hits):
            if spans and hit < spans[-1][1]:
                continue  # inside the run already found
            start, end = hit, hit + FRAGMENT
            while start > 0 and self.in_run(text[start - 1]):
                start -= 1
            while end < len(text) and self.in_run(text[end]):
                end += 1
            spans.append((start, end))
        return spans


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_-"


def _is_nonspace(char: str) -> bool:
    return not char.isspace()


class Redactor:
    """Removes secrets (whole and in fragments), token-shaped strings and URL credentials."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets: dict[str, _Secret] = {}
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Redact *secret* from now on (shorter than a fragment: only as a whole, if at all)."""
        secret = (secret or "").strip()
        if len(secret) >= 4 and secret not in self._secrets:
            self._secrets[secret] = _Secret(secret)

    @property
    def secrets(self) -> list[str]:
        return sorted(self._secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets.values(), key=lambda s: len(s.value), reverse=True):
            text = secret.sub(text)
        text = _TOKEN_SHAPE.sub(MASK, text)
        return _USERINFO.sub(f"://{MASK}@", text)


# The process's secrets: whatever registered one is filtered out of every output path.
_REDACTOR = Redactor()


def add_secret(secret: str | None) -> None:
    """Register a secret with the process-wide filter (the GitHub token, say)."""
    _REDACTOR.add(secret)


def redact(text: str) -> str:
    """*text* without the registered secrets, token-shaped strings and URL credentials."""
    return _REDACTOR(text)


# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROLS = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def for_terminal(text: str) -> str:
    """*text* redacted, with every control character a terminal would act on made visible
    (a carriage return only where it ends a line, as in CRLF)."""
    text = redact(text)
    if _CONTROLS.search(text) is None:
        return text
    text = text.replace("\r\n", "\n")
    return _CONTROLS.sub(_visible, text)


class FilteredStream(io.TextIOBase):
    """A text stream that passes what is written through :func:`for_terminal`.

    Writes are filtered line by line: a secret is never split by a write boundary inside a
    line (click and logging write whole lines; a partial line waits for its end or a flush).
    """

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw
        self._pending = ""

    # click asks these to decide the stream is a usable text stream as it is
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.raw, "errors", None) or "strict"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(getattr(self.raw, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.raw.fileno()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        data = self._pending + text
        cut = data.rfind("\n") + 1
        self._pending = data[cut:]
        if cut:
            self.raw.write(for_terminal(data[:cut]))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.raw.write(for_terminal(pending))
        self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def unfiltered(stream: TextIO) -> TextIO:
    """The stream under the filter, for output that is ours alone (a progress bar's escape
    codes): never for text that holds anything from the web or a service."""
    return stream.raw if isinstance(stream, FilteredStream) else stream


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message and traceback before any handler
    formats it: for handlers that write somewhere else than the filtered streams (a log
    file, a handler made before the streams were filtered)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_LOG_FILTER = RedactingFilter()


def _filter_logging() -> None:
    handlers = [*logging.getLogger().handlers]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if _LOG_FILTER not in handler.filters:
            handler.addFilter(_LOG_FILTER)


@contextmanager
def filtered_streams() -> Iterator[None]:
    """sys.stdout and sys.stderr through the filter for the duration (nested: once), and
    the root logger's handlers redacting."""
    _filter_logging()
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, FilteredStream):
        sys.stdout = FilteredStream(sys.stdout)
    if not isinstance(sys.stderr, FilteredStream):
        sys.stderr = FilteredStream(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream not in saved:
                stream.flush()
        sys.stdout, sys.stderr = saved
