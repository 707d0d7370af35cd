"""Helpers for README tests: run the CLI in-process in a folder and read its output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs.cli import run


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
