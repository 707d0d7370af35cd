"""What every command needs: the config and the catalog, opened lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from catalog import config as config_mod
from catalog.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

# SQLAlchemy and the catalog's models are imported on first use: `listkeeper check` starts
# its crawl process before it pays for them.


@dataclass
class Context:
    config_path: Path | None = None
    db_url: str | None = None
    _config: config_mod.Config | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def config(self) -> config_mod.Config:
        if self._config is None:
            config = config_mod.load(self.config_path)
            # Raw Scrapy settings: checked against Scrapy's and listkeeper's own (crawler/).
            from crawler.settings import settings_problem

            problem = settings_problem(config.check.settings)
            if problem:
                raise ConfigError(f"{config.where}: [check.settings] {problem}")
            self._config = config
        return self._config

    def require_config(self) -> config_mod.Config:
        """The config of a command that works on a list: none here is one line, exit 3."""
        if self.config_path is None and not config_mod.DEFAULT_PATH.exists():
            raise ConfigError(
                f"no {config_mod.DEFAULT_PATH} here: run `listkeeper init` to keep a list in"
                " this folder, or pass --config FILE"
            )
        return self.config

    @property
    def url(self) -> str:
        from catalog import db

        return db.database_url(self.db_url or self.config.database)

    def engine(self) -> Engine:
        """The catalog, brought to the latest schema on first use."""
        from sqlalchemy.exc import SQLAlchemyError

        from catalog import db

        if self._engine is None:
            try:
                engine = db.make_engine(self.url)
                if not db.is_current(engine):
                    db.upgrade(self.url)
                self._engine = engine
            except SQLAlchemyError as exc:
                raise ConfigError(
                    f"cannot open the catalog at {_redact(self.url)}: {exc.__class__.__name__}:"
                    f" {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}"
                ) from exc
        return self._engine


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
