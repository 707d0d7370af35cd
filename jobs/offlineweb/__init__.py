"""The offline web: a loopback HTTP(S) server that plays many hosts, for tests, the demo and
the benchmarks. Pages are data (`spec`), served by `OfflineWeb` (`server`)."""

from .server import OfflineWeb
from .spec import Host, Page, Web

__all__ = ["Host", "OfflineWeb", "Page", "Web"]
