"""Bodies no client should send still get the API's JSON error shape, never a 500 or an HTML page."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def _post(body: str) -> tuple[int, str, dict[str, object]]:
    response = Client(raise_request_exception=False).post(
        "/api/v1/auth/login", data=body, content_type="application/json"
    )
    return response.status_code, response["Content-Type"], json.loads(response.content)


def test_a_body_nested_100000_deep_is_a_parse_error() -> None:
    status, content_type, body = _post("[" * 100_000 + "]" * 100_000)
    assert (status, content_type, body["code"]) == (400, "application/json", "parse_error")


def test_a_body_over_the_upload_limit_is_413_in_json() -> None:
    status, content_type, body = _post(json.dumps({"login": "x" * 3_000_000, "password": "y"}))
    assert (status, content_type, body["code"]) == (413, "application/json", "payload_too_large")


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_url_answers_json_404_whatever_debug_is(debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = Client().get("/api/v1/no-such-thing")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["code"] == "not_found"


def test_a_post_to_an_unknown_api_url_is_404_not_a_csrf_failure() -> None:
    response = Client(enforce_csrf_checks=True).post("/api/v1/auth/tokens/null,null/revoke")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
