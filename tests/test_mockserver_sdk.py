"""The openai Python SDK's own Realtime clients connect to the mock: GA, beta, and Azure (which
always uses wss://, so it needs the mock's TLS)."""

from __future__ import annotations

import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from tests.support.mock_behaviours import BehaviourLog, run, serving


def test_ga_client_receives_session_created_and_updates() -> None:
    async def body() -> None:
        async with serving() as server:
            client = AsyncOpenAI(api_key="sk-test", websocket_base_url=server.url)
            async with client.realtime.connect(model="gpt-realtime") as connection:
                assert (await connection.recv()).type == "session.created"
                await connection.session.update(session={"type": "realtime", "instructions": "Hi"})
                assert (await connection.recv()).type == "session.updated"
            info = server.connections[0].info
        assert (info.dialect, info.model) == ("ga", "gpt-realtime")

    run(body())


def test_beta_client_is_served_the_beta_dialect() -> None:
    async def body() -> None:
        log = BehaviourLog()
        async with serving(behaviour_factory=log) as server:
            client = AsyncOpenAI(api_key="sk-test", websocket_base_url=server.url)
            async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as connection:
                created = await connection.recv()
                assert created.type == "session.created"
                await connection.session.update(session={"voice": "alloy", "modalities": ["text"]})
                assert (await connection.recv()).type == "session.updated"
        assert log.made[0].info.dialect == "beta"  # the SDK sends `OpenAI-Beta: realtime=v1`
        assert log.made[0].received[0]["session"]["output_modalities"] == ["text"]

    run(body())


def test_azure_client_connects_over_wss_trusting_the_certificate_by_ssl_cert_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def body() -> None:
        async with serving(tls=True, api_keys={"azure-key"}) as server:
            monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_path))  # how users trust it
            client = AsyncAzureOpenAI(
                api_key="azure-key",
                api_version="2025-04-01-preview",
                azure_endpoint=server.http_url,
            )
            async with client.realtime.connect(model="my-deployment") as connection:
                assert (await connection.recv()).type == "session.created"
            info = server.connections[0].info
        assert (info.path, info.model, info.query["api-version"]) == (
            "/openai/realtime",
            "my-deployment",
            "2025-04-01-preview",
        )

    run(body())
