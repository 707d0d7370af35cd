"""TLS_EXTRA_CA: a PEM file of certificate authorities trusted besides the system's roots
(the offline web's test CA).

Certificates are verified by Scrapy itself (``DOWNLOAD_VERIFY_CERTIFICATES``), which trusts
OpenSSL's default store. OpenSSL reads that store's file from ``SSL_CERT_FILE`` when a
connection's context is made, so this extension points it at a bundle of the system's
roots and the extra CAs before the first request. A crawl runs in its own process
(``crawler.crawl``), so the variable changes nothing else.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

_PREFIX = "listkeeper-ca-"


def system_roots() -> bytes:
    """The roots OpenSSL trusts here: ``SSL_CERT_FILE`` when it is set (and not a bundle of
    ours, from an earlier crawl in this process), else its compiled-in file."""
    paths = ssl.get_default_verify_paths()
    for name in (paths.cafile, paths.openssl_cafile):
        if name and not Path(name).name.startswith(_PREFIX) and Path(name).is_file():
            return Path(name).read_bytes()
    return b""


def trust_bundle(extra_ca: Path) -> Path:
    """A PEM file with the system's roots then ``extra_ca``, named by its content so that
    concurrent crawls share one file and a stale one is never reused. It sits beside the
    CA (a temporary CA's bundle goes with its directory), else in the temporary directory."""
    content = system_roots().rstrip(b"\n") + b"\n" + extra_ca.read_bytes()
    name = f"{_PREFIX}{hashlib.sha1(content).hexdigest()}.pem"
    for folder in (extra_ca.resolve().parent, Path(tempfile.gettempdir())):
        path = folder / name
        if path.exists():
            return path
        try:
            # write then rename: a concurrent reader never sees half a bundle
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(content)
            partial.replace(path)
        except OSError:  # a read-only folder (/etc/ssl/...): the next one
            continue
        return path
    raise OSError(f"cannot write a certificate bundle for {extra_ca}")


class ExtraTrust:
    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        os.environ["SSL_CERT_FILE"] = str(bundle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtraTrust:
        extra = crawler.settings.get("TLS_EXTRA_CA")
        if not extra:
            raise NotConfigured("no TLS_EXTRA_CA")
        if not crawler.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES"):
            raise NotConfigured("certificates are not verified")
        return cls(trust_bundle(Path(extra)))
