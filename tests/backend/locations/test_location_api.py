"""POST /api/v1/locations: thin view over location_record."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse
from rest_framework.test import APIClient

from backend.locations.models import CourierLocation

URL = "/api/v1/locations"
BODY = {"lat": 30.2741, "lng": 120.1551, "accuracy_m": 9.0, "recorded_at": "2026-11-24T10:00:00+08:00"}


def _body() -> dict[str, object]:
    return {**BODY, "recorded_at": datetime.now(UTC).isoformat()}


def test_the_route_is_named() -> None:
    assert reverse("locations-record") == URL


def test_a_courier_posts_a_ping_and_a_second_one_is_rate_limited(courier) -> None:
    c, person = courier
    client = APIClient()
    first = client.post(URL, _body(), format="json", **person.auth)
    assert first.status_code == 201
    saved = CourierLocation.objects.get()
    assert first.json()["id"] == saved.pk and saved.device_id == f"device-{person.user.pk}"
    second = client.post(URL, _body(), format="json", **person.auth)
    assert second.status_code == 429
    assert second.json()["code"] == "rate_limited"
    assert set(second.json()) == {"code", "message", "details"}


def test_bad_input_is_a_400_with_a_code_never_a_500(courier) -> None:
    client = APIClient()
    for body in (
        {**_body(), "lat": "north"},
        {**_body(), "lat": 95},
        {**_body(), "accuracy_m": "NaN"},
        {"lat": 1},
        {**_body(), "recorded_at": "yesterday"},
    ):
        response = client.post(URL, body, format="json", **courier[1].auth)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] in ("invalid", "invalid_coordinates")


def test_supervisors_and_strangers_cannot_post(supervisor) -> None:
    client = APIClient()
    assert client.post(URL, _body(), format="json").status_code == 401
    refused = client.post(URL, _body(), format="json", **supervisor.auth)
    assert (refused.status_code, refused.json()["code"]) == (403, "wrong_role")
