"""The ``[check]`` table of listkeeper.toml compiled: its exclude patterns, with those of a
``.listkeeperignore`` beside them, and its remap rules (URL as written → URL fetched)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from catalog.config import CheckTable, Config
from catalog.errors import ConfigError
from catalog.patterns import Pattern, PatternError, compile_pattern
from catalog.urls import Rule, parse_rules

IGNORE_FILE = Path(".listkeeperignore")


@dataclass
class CheckConfig:
    """The ``[check]`` table of listkeeper.toml, its patterns compiled."""

    table: CheckTable = field(default_factory=CheckTable)
    exclude: list[Pattern] = field(default_factory=list)  # [check] exclude + .listkeeperignore
    remap: list[Rule] = field(default_factory=list)  # URL as written → URL fetched

    @classmethod
    def of(cls, config: Config, ignore_file: Path | None = None) -> CheckConfig:
        table = config.check
        patterns = [(p, f"{config.where}: [check] exclude") for p in table.exclude]
        if ignore_file is not None and ignore_file.exists():
            patterns += ignore_patterns(ignore_file)
        exclude = []
        for pattern, where in patterns:
            try:
                exclude.append(compile_pattern(pattern))
            except PatternError as exc:
                raise ConfigError(f"{where}: {exc}") from exc
        remap = parse_rules(list(table.remap), f"{config.where}: [check] remap")
        return cls(table=table, exclude=exclude, remap=remap)


def ignore_patterns(path: Path) -> list[tuple[str, str]]:
    """The patterns of a ``.listkeeperignore``, one a line (``#`` comments), with where
    each is written: ``(pattern, "FILE:LINE")``."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte {path.read_bytes()[exc.start]:#04x}):"
            " save the file as UTF-8"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    return [
        (line.strip(), f"{path}:{n}")
        for n, line in enumerate(text.split("\n"), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
