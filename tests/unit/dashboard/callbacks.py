"""Calling a Dash callback over HTTP the way the renderer does (POST /_dash-update-component)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from dashboard.auth import CSRF_COOKIE, CSRF_HEADER


def _split_outputs(key: str) -> list[dict[str, str]]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outputs = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        outputs.append({"id": cid, "property": prop.split("@")[0]})
    return outputs


def payload(
    app: Any, output_contains: str, values: dict[str, Any], changed: list[str] | None = None
) -> dict[str, Any]:
    """The request body for the callback whose output key contains `output_contains`; inputs and states
    take their values from `values` ("id.property" -> value), missing ones are None."""
    key = next(k for k in app.callback_map if output_contains in k)
    spec = app.callback_map[key]
    outputs = _split_outputs(key)

    def with_values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = with_values(spec["inputs"])
    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": with_values(spec.get("state", [])),
        "changedPropIds": changed if changed is not None else [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def csrf_token(client: FlaskClient) -> str:
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None, "signed-in clients carry the CSRF cookie"
    return cookie.value


def call(
    client: FlaskClient,
    app: Any,
    output_contains: str,
    values: dict[str, Any],
    *,
    csrf: bool = True,
    changed: list[str] | None = None,
) -> Any:
    headers = {CSRF_HEADER: csrf_token(client)} if csrf else {}
    return client.post(
        "/_dash-update-component", json=payload(app, output_contains, values, changed), headers=headers
    )
