"""Verify certificates (Scrapy does not by default): an expired or wrong-host certificate
is reported, not silently accepted. TLS_EXTRA_CA names a PEM file trusted besides the
system's roots (the offline web's test CA)."""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.contextfactory import ScrapyClientContextFactory
from scrapy.settings import BaseSettings
from twisted.internet import ssl


class VerifyingContextFactory(ScrapyClientContextFactory):
    def __init__(self, method: int = ssl.SSL.SSLv23_METHOD, *args: Any, **kwargs: Any) -> None:
        super().__init__(method, *args, **kwargs)
        self.extra_ca: str | None = None

    @classmethod
    def from_crawler(
        cls, crawler: Any, method: int = ssl.SSL.SSLv23_METHOD, *a: Any, **kw: Any
    ) -> VerifyingContextFactory:
        factory = super().from_crawler(crawler, method, *a, **kw)
        assert isinstance(factory, VerifyingContextFactory)
        factory.extra_ca = _setting(crawler.settings)
        return factory

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        if self.extra_ca:
            with open(self.extra_ca, "rb") as fh:
                trust: Any = ssl.Certificate.loadPEM(fh.read())
        else:
            trust = ssl.platformTrust()
        return ssl.optionsForClientTLS(hostname.decode("ascii"), trustRoot=trust)


def _setting(settings: BaseSettings) -> str | None:
    value = settings.get("TLS_EXTRA_CA")
    return str(value) if value else None
