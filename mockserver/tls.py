"""A self-signed certificate for 127.0.0.1 and localhost, made when a TLS server starts.

Some official clients always connect with wss://, whatever the base URL says, so the mock must
serve TLS. The certificate is its own CA (like Go's httptest certificate): clients trust it by
loading the PEM file (`SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, an ssl context's `cafile`).
"""

from __future__ import annotations

import datetime
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST_NAMES = ("localhost",)
HOST_ADDRESSES = ("127.0.0.1", "::1")
VALIDITY = datetime.timedelta(days=30)
COMMON_NAME = "realtime-conformance mock server"


@dataclass(frozen=True)
class SelfSignedCertificate:
    directory: Path
    cert_path: Path
    key_path: Path


def _subject_alternative_names() -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in HOST_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in HOST_ADDRESSES]
    return x509.SubjectAlternativeName(names)


def _key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        key_cert_sign=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def build_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A CA certificate that is also the server's, with the extensions strict verifiers want."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_subject_alternative_names(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def make_self_signed_certificate(directory: Path | None = None) -> SelfSignedCertificate:
    """Write `cert.pem` and `key.pem` into `directory` (a new temporary one by default)."""
    directory = directory or Path(tempfile.mkdtemp(prefix="realtime-mock-tls-"))
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = build_certificate(key)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return SelfSignedCertificate(directory, cert_path, key_path)
