"""A stub DNS resolver for Scrapy: fixed name -> address answers, NXDOMAIN for every other name.

Install it with the resolver setting (Scrapy 2.13+ reads `TWISTED_DNS_RESOLVER`; the older
`DNS_RESOLVER` name still works with a deprecation warning)::

    TWISTED_DNS_RESOLVER = "crawler.resolver.StubResolver"
    STUBDNS_HOSTS = {"blog.test": "127.0.3.1", "internal.test": "10.0.0.7"}

IP literals pass through unchanged; a name that is not in `STUBDNS_HOSTS` fails with
`twisted.internet.error.DNSLookupError` and never reaches a real resolver. The offline web's
`Web.dns_map()` (or `OfflineWeb.dns_map()`) produces such a mapping.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

STUBDNS_HOSTS_SETTING = "STUBDNS_HOSTS"


def _normalise(name: str) -> str:
    return name.strip().rstrip(".").lower()


class StubHosts:
    """The name -> address table shared by the resolver and the offline web."""

    def __init__(self, hosts: Mapping[str, str] | None = None) -> None:
        self.hosts = {_normalise(name): address for name, address in (hosts or {}).items()}
        for address in self.hosts.values():
            ipaddress.ip_address(address)  # reject anything but an address literal

    def lookup(self, name: str) -> str | None:
        """The address for `name`: itself for an IP literal, None when unknown (NXDOMAIN)."""
        name = _normalise(name)
        try:
            return str(ipaddress.ip_address(name.strip("[]")))
        except ValueError:
            return self.hosts.get(name)


@implementer(IResolverSimple)
class StubResolver:
    """A Twisted `IResolverSimple` answering only from `STUBDNS_HOSTS`."""

    def __init__(self, reactor: Any, hosts: Mapping[str, str] | None = None) -> None:
        self.reactor = reactor
        self.table = StubHosts(hosts)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> StubResolver:
        hosts = crawler.settings.getdict(STUBDNS_HOSTS_SETTING)
        return cls(reactor, hosts)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        address = self.table.lookup(name)
        if address is None:
            return defer.fail(DNSLookupError(f"{name}: NXDOMAIN (not in {STUBDNS_HOSTS_SETTING})"))
        return defer.succeed(address)
