"""crawler.extensions.trust: the extra CA is trusted besides the system's roots."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions.trust import ExtraTrust, system_roots, trust_bundle

PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_the_bundle_holds_the_system_roots_then_the_extra_ca(tmp_path: Path) -> None:
    extra = tmp_path / "ca.pem"
    extra.write_bytes(PEM)
    bundle = trust_bundle(extra).read_bytes()
    assert bundle.endswith(PEM)
    system = Path(ssl.get_default_verify_paths().cafile or "")
    if system.is_file():
        assert bundle.startswith(system.read_bytes().rstrip(b"\n"))
        assert system_roots() == system.read_bytes()
    # named by content: the same CA gives the same file, another CA another one
    assert trust_bundle(extra) == trust_bundle(extra)
    other = tmp_path / "other.pem"
    other.write_bytes(PEM.replace(b"MIIB", b"MIIC"))
    assert trust_bundle(other) != trust_bundle(extra)
    # beside the CA: a temporary CA's bundle goes away with its directory
    assert trust_bundle(extra).parent == tmp_path


@pytest.fixture
def no_cert_file() -> Iterator[None]:
    """SSL_CERT_FILE unset during the test and as it was after it. The extension sets it;
    monkeypatch.delenv would restore nothing when it was not set, and every later test's
    processes would trust the bundle."""
    before = os.environ.pop("SSL_CERT_FILE", None)
    try:
        yield
    finally:
        os.environ.pop("SSL_CERT_FILE", None)
        if before is not None:
            os.environ["SSL_CERT_FILE"] = before


def test_the_extension_points_openssl_at_the_bundle(tmp_path: Path, no_cert_file: None) -> None:
    extra = tmp_path / "ca.pem"
    extra.write_bytes(PEM)
    settings = {"TLS_EXTRA_CA": str(extra), "DOWNLOAD_VERIFY_CERTIFICATES": True}
    ext = ExtraTrust.from_crawler(get_crawler(settings_dict=settings))
    assert os.environ["SSL_CERT_FILE"] == str(ext.bundle) == str(trust_bundle(extra))
    # a second crawl in this process adds the CA to the system's roots, not to the bundle
    again = ExtraTrust.from_crawler(get_crawler(settings_dict=settings))
    assert again.bundle == ext.bundle


@pytest.mark.parametrize(
    "settings",
    [{"DOWNLOAD_VERIFY_CERTIFICATES": True}, {"TLS_EXTRA_CA": "ca.pem"}],
    ids=["no extra CA", "verification off"],
)
def test_the_extension_stays_off_without_a_ca_or_verification(settings: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(NotConfigured):
        ExtraTrust.from_crawler(get_crawler(settings_dict=settings))
