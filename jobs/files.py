"""Writing a file the user owns (a README, a report): whole or not at all, in place.

- A symbolic link is written through: its target gets the new text and the link stays a
  link (a README that links to ``docs/index.md`` keeps doing so).
- A regular file is replaced atomically (a temporary file beside the target, then a
  rename): a crash never leaves half a file. It keeps its permission bits.
- A new file gets the permissions the umask allows (0666 & ~umask), as ``>`` would.
- A FIFO, a terminal or another character device (``--output /dev/stdout``) cannot be
  renamed over: it is opened and written, so a reader at the other end gets the text.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from catalog.errors import ListkeeperError


class WriteError(ListkeeperError):
    """The file could not be written; nothing was changed."""


def atomic_write(path: Path, text: str, *, bom: bool = False) -> None:
    """Write *text* (UTF-8, line endings as given) to *path*, following the rules above."""
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    try:
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise WriteError(f"{path}: is a directory; give a file name")
        if st is not None and not stat.S_ISREG(st.st_mode):
            _write_stream(target, data)  # a FIFO or a device: written, never replaced
        else:
            _replace(target, data, None if st is None else stat.S_IMODE(st.st_mode))
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc}); nothing changed") from exc


def _write_stream(target: Path, data: bytes) -> None:
    with open(target, "wb") as fh:
        fh.write(data)


def _replace(target: Path, data: bytes, mode: int | None) -> None:
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never write through somebody's link planted at the temporary name; 0o666
    # under the umask is what a new file gets, and an existing file's mode is set below.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
