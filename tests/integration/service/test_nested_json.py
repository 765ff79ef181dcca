"""A JSON body nested deeper than the decoder recurses (999 ``[`` in 2 KB) is a malformed
body, 400, on every route that decodes JSON, and no traceback is logged for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.settings import Settings
from service.telemetry.logging import flush_logs
from tests.integration.service.conftest import MODEL, Client, MakeClient

DEEP = b"[" * 999
BODIES = {
    "/v1/chat": [DEEP, b'{"message": "hi", "model": ' + DEEP],
    "/v1/chat/completions": [
        DEEP,
        b'{"model": "' + MODEL.encode() + b'", "messages": ' + DEEP,
        b'{"model": "' + MODEL.encode() + b'", "messages": [], "extra": ' + DEEP,
    ],
}
CASES = [(path, body) for path, bodies in BODIES.items() for body in bodies]


@pytest.fixture
async def client(chat_client: MakeClient, openai_settings: Callable[..., Settings]) -> Client:
    """A client over the fake OpenAI as the only provider."""
    return await chat_client(openai_settings())


@pytest.mark.parametrize(("path", "body"), CASES, ids=lambda v: v if isinstance(v, str) else "")
async def test_deeply_nested_json_is_a_400(
    client: Client, alice: dict[str, str], path: str, body: bytes
) -> None:
    """Nesting deeper than the decoder recurses is a 400 saying what is wrong: the JSON is
    too deep, or an array stands where the body's type wants an object."""
    headers = {**alice, "content-type": "application/json"}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.text or "got `array`" in response.text


async def test_deeply_nested_json_logs_no_traceback(
    capfd: pytest.CaptureFixture[str],
    chat_client: MakeClient,
    openai_settings: Callable[..., Settings],
    alice: dict[str, str],
) -> None:
    """The refusal is logged as a 400 request line, with no error event or traceback."""
    client = await chat_client(openai_settings())  # logs to the captured stdout
    headers = {**alice, "content-type": "application/json"}
    for path, body in CASES:
        await client.post(path, content=body, headers=headers)
    flush_logs()
    out, err = capfd.readouterr()
    logged = out + err
    assert '"status":400' in logged
    assert "RecursionError" not in logged
    assert "Traceback" not in logged
    assert "unhandled_error" not in logged
