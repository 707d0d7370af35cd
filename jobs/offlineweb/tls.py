"""A throwaway certificate authority for the offline web's TLS port.

`TestPKI(names, addresses, directory)` creates, with `cryptography`, a CA and three leaf
certificates signed by it: `valid` (the given names and IP addresses), `expired` (the same
names, validity ended a year ago) and `wrong_host` (only `not-this-host.test`). The server
picks one per connection from the SNI name and the host's `tls` mode; clients trust the CA
through `ca_pem` (a PEM file path).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

WRONG_HOST_NAME = "not-this-host.test"
MAX_IP_SANS = 512  # bound on IP addresses named in the valid certificate


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "listkeeper offline web"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class TestPKI:
    """CA and leaf certificates written as PEM files into `directory`."""

    __test__ = False  # not a pytest test class

    def __init__(self, names: list[str], addresses: list[str], directory: Path) -> None:
        self.directory = directory
        now = dt.datetime.now(dt.UTC)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("listkeeper offline web test CA")
        self._ca_name = ca_name
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        self.ca_pem = directory / "ca.pem"
        self.ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        ips = ["127.0.0.1", *addresses][:MAX_IP_SANS]
        year = dt.timedelta(days=365)
        self.files = {
            "valid": self._leaf("valid", names, ips, now - dt.timedelta(days=1), now + year),
            "expired": self._leaf("expired", names, ips, now - 2 * year, now - year),
            "wrong_host": self._leaf(
                "wrong_host", [WRONG_HOST_NAME], [], now - dt.timedelta(days=1), now + year
            ),
        }

    def _leaf(
        self,
        label: str,
        names: list[str],
        ips: list[str],
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dict.fromkeys(names)]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in dict.fromkeys(ips)]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0] if names else label))
            .issuer_name(self._ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        cert_path = self.directory / f"{label}.pem"
        key_path = self.directory / f"{label}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        return cert_path, key_path

    def server_context(self, mode: str = "valid") -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert, key = self.files[mode]
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_pem))
