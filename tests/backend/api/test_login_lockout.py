"""Guessing passwords: an account locks after a burst of wrong ones, an address is slowed down, a
supervisor can unlock, every try is recorded, and anonymous endpoints are rate-limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.settings import api_settings

from backend.accounts.models import LoginAttempt
from backend.couriers.models import Courier
from tests.backend.api.conftest import Api
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
LOGIN = "/api/v1/auth/login"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _login(api: Api, who: str, password: str) -> Any:
    return api.post(LOGIN, {"login": who, "password": password, "device_id": "phone-1"})


def test_five_wrong_passwords_lock_the_account_until_the_lock_ends(
    api: Api, courier: tuple[Courier, Person]
) -> None:
    c, _ = courier
    with time_machine.travel(T0, tick=False) as clock:
        assert [_login(api, c.employee_no, "guess").status_code for _ in range(5)] == [401] * 5
        locked = _login(api, c.employee_no, "courier-pass-1")  # the right one, too late
        assert (locked.status_code, locked.json()["code"]) == (429, "login_locked")
        assert locked["Retry-After"] == "900"
        clock.shift(timedelta(minutes=10))
        still = _login(api, c.employee_no, "courier-pass-1")
        assert (still.status_code, still["Retry-After"]) == (429, "300")  # a refused try does not extend it
        clock.shift(timedelta(minutes=5, seconds=1))
        assert _login(api, c.employee_no, "courier-pass-1").status_code == 200
    outcomes = list(LoginAttempt.objects.filter(user=c.user).order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["failed"] * 5 + ["refused", "refused", "succeeded"]
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"127.0.0.1"}


def test_wrong_passwords_spread_over_the_day_lock_nothing(api: Api, courier: tuple[Courier, Person]) -> None:
    c, _ = courier
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(6):
            assert _login(api, c.employee_no, "typo").status_code == 401
            clock.shift(timedelta(minutes=20))
        assert _login(api, c.employee_no, "courier-pass-1").status_code == 200


def test_a_supervisor_unlocks_their_courier_and_it_is_recorded(
    api: Api, courier: tuple[Courier, Person], supervisor: Person, other_supervisor: Person
) -> None:
    c, _ = courier
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            _login(api, c.employee_no, "guess")
        url = f"/api/v1/couriers/{c.pk}/unlock-login"
        assert api.post(url, {"reason": "x"}, as_=other_supervisor).status_code == 404  # not their courier
        assert api.post(url, {"reason": "认证过本人"}, as_=supervisor).status_code == 204
        assert _login(api, c.employee_no, "courier-pass-1").status_code == 200
    unlock = LoginAttempt.objects.get(outcome="unlocked")
    assert (unlock.user_id, unlock.actor_id, unlock.reason) == (c.user_id, supervisor.user.pk, "认证过本人")


def test_an_address_guessing_many_logins_is_slowed_down(api: Api, courier: tuple[Courier, Person]) -> None:
    c, _ = courier
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(20):
            assert _login(api, f"nobody{n}", "guess").status_code == 401
        blocked = _login(api, c.employee_no, "courier-pass-1")
        assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_attempts")
        assert blocked["Retry-After"] == "600"
        clock.shift(timedelta(minutes=10, seconds=1))
        assert _login(api, c.employee_no, "courier-pass-1").status_code == 200


def test_anonymous_requests_are_rate_limited_per_address(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(
        AnonRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "3/min"}
    )
    answers = [api.get("/api/v1/track/PR000000000019") for _ in range(4)]
    assert [a.status_code for a in answers[:3]] != [429] * 3
    assert (answers[3].status_code, answers[3].json()["code"]) == (429, "throttled")
    assert int(answers[3]["Retry-After"]) > 0
