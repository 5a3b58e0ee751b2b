"""wss:// with the self-signed certificate made at start."""

from __future__ import annotations

import ipaddress
import json
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from websockets.asyncio.client import connect

from realtime_conformance.mockserver.tls import make_self_signed_certificate
from tests.support.mock_behaviours import aiohttp_client, auth_headers, next_event, run, serving


def test_the_certificate_names_localhost_and_the_loopback_addresses(tmp_path: Path) -> None:
    certificate = make_self_signed_certificate(tmp_path)
    loaded = x509.load_pem_x509_certificate(certificate.cert_path.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert certificate.key_path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_client_trusting_the_certificate_connects_over_wss(host: str) -> None:
    async def body() -> None:
        async with serving(tls=True) as server:
            assert server.url.startswith("wss://") and server.cert_path is not None
            context = ssl.create_default_context(cafile=str(server.cert_path))
            url = f"{server.url.replace('127.0.0.1', host)}/realtime?model=gpt-realtime"
            async with connect(url, additional_headers=auth_headers(), ssl=context) as ws:
                assert json.loads(await ws.recv())["type"] == "session.created"
            async with aiohttp_client(server, ssl=server.client_ssl_context()) as ws:
                assert (await next_event(ws))["type"] == "session.created"

    run(body())


def test_a_client_that_does_not_trust_it_is_refused() -> None:
    async def body() -> None:
        async with serving(tls=True) as server:
            url = f"{server.url}/realtime?model=gpt-realtime"
            with pytest.raises(ssl.SSLCertVerificationError):
                async with connect(url, additional_headers=auth_headers()):
                    pass
            cert_dir = server.cert_path.parent if server.cert_path else None
        assert cert_dir is not None and not cert_dir.exists()  # removed when the server stops

    run(body())
