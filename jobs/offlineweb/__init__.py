"""The offline web: a loopback HTTP(S) server that plays many hosts, for the demo, the tests
and the benchmarks. Pages are data (`spec`), served by `OfflineWeb` (`server`). The wheel
ships what `listkeeper demo` serves; `testkit`, what only the tests and benches use, stays
in the repository."""

from .server import OfflineWeb
from .spec import Host, Page, Web

__all__ = ["Host", "OfflineWeb", "Page", "Web"]
