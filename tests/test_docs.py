"""The README documents every command and every option of the CLI."""

from __future__ import annotations

from pathlib import Path

import click

from jobs.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix}{name} ")
        else:
            out.append((prefix + name, command))
    return out


def test_every_command_and_option_is_in_the_readme() -> None:
    for name, command in _commands(cli):
        assert f"`{name}" in README, name
        assert command.help, f"{name} has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in README for opt in param.opts), f"{name} {param.opts}"


def test_quick_start_is_the_two_make_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick and "make test" in quick
    assert "make test" in (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()


def test_report_format_choices_are_the_formatters() -> None:
    from catalog.formats import FORMATS
    from jobs.cli import REPORT_FORMATS

    assert sorted(FORMATS) == sorted(REPORT_FORMATS)
