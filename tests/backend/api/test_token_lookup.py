"""The token → user read: one statement, the user's role loaded with it, the same answers as the ORM."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.authentication import user_for_key
from backend.accounts.models import ApiToken
from backend.accounts.roles import Role, principal_of
from backend.accounts.services import token_issue, token_revoke
from backend.couriers.models import Courier
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def _read(key: str) -> tuple[Role, int | None, int | None, int]:
    """The principal behind ``key``, and how many queries it took (the lookup and the role)."""
    with CaptureQueriesContext(connection) as queries:
        found = user_for_key(key)
        assert found is not None
        who = principal_of(found[0])
    return who.role, who.courier_id, who.station_id, len(queries)


def test_each_role_is_read_with_the_token_in_one_query(
    courier: tuple[Courier, Person], supervisor: Person, admin: Person
) -> None:
    c, person = courier
    assert _read(person.token) == (Role.COURIER, c.pk, c.station_id, 1)
    assert _read(supervisor.token) == (Role.SUPERVISOR, None, supervisor.principal.station_id, 1)
    assert _read(admin.token) == (Role.ADMIN, None, None, 1)
    plain = User.objects.create_user("nobody", password="nobody-pass-1")
    assert _read(token_issue(plain, "dev-x")[1]) == (Role.NONE, None, None, 1)


def test_the_instances_are_the_rows(courier: tuple[Courier, Person]) -> None:
    c, person = courier
    found = user_for_key(person.token)
    assert found is not None
    user, token = found
    stored = ApiToken.objects.get(pk=token.pk)
    fields = ("user_id", "key_hash", "prefix", "device_id", "created_at", "last_used_at", "revoked_at")
    assert [getattr(token, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert token.user is user and user.courier.user is user  # type: ignore[attr-defined]
    again = Courier.objects.get(pk=c.pk)
    assert (user.courier.name, user.courier.shift_start) == (again.name, again.shift_start)  # type: ignore[attr-defined]
    assert user.date_joined == User.objects.get(pk=user.pk).date_joined


def test_unknown_revoked_and_inactive_tokens_find_nobody(courier: tuple[Courier, Person]) -> None:
    _, person = courier
    assert user_for_key("no-such-key") is None
    token_revoke(token=ApiToken.objects.get(user=person.user), reason="lost")
    assert user_for_key(person.token) is None
    other = User.objects.create_user("gone", password="gone-pass-1", is_active=False)
    assert user_for_key(token_issue(other, "dev-y")[1]) is None
