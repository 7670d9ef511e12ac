"""What onboarding must know from the database before it writes: which keys are already in use."""

from __future__ import annotations

from django.contrib.auth.models import User

from backend.couriers.models import Courier, Station
from backend.couriers.services import courier_username


def station_code_taken(code: str) -> bool:
    return Station.objects.filter(code=code).exists()


def employee_nos_taken(employee_nos: list[str]) -> set[str]:
    return set(Courier.objects.filter(employee_no__in=employee_nos).values_list("employee_no", flat=True))


def usernames_taken(usernames: list[str]) -> set[str]:
    return set(User.objects.filter(username__in=usernames).values_list("username", flat=True))


def courier_usernames(employee_nos: list[str]) -> dict[str, str]:
    """employee number → the user name its login will get (couriers.services decides the rule)."""
    return {no: courier_username(no) for no in employee_nos}
