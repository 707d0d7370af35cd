"""The offline web: a loopback HTTP(S) server that plays many hosts, for tests, the demo and
the benchmarks. Pages are data (`spec`), served by `OfflineWeb` (`server`); `builders` makes
ready-made webs and `recorded` replays recorded real responses."""

from .builders import hostile_web, sample_web, scale_web
from .recorded import RecordedResponse, load_recorded, recorded_web
from .server import OfflineWeb
from .spec import Host, Page, Web

__all__ = [
    "Host",
    "OfflineWeb",
    "Page",
    "RecordedResponse",
    "Web",
    "hostile_web",
    "load_recorded",
    "recorded_web",
    "sample_web",
    "scale_web",
]
