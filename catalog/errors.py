"""Errors the CLI turns into one line on stderr and an exit code."""

from __future__ import annotations


class ListkeeperError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = 1


class InputError(ListkeeperError):
    """Bad input: an unreadable README, a malformed feed or file."""

    exit_code = 3


class ConfigError(ListkeeperError):
    """A wrong ``listkeeper.toml`` or option."""

    exit_code = 3
