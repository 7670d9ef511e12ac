"""What onboarding must know from the database before it writes (which keys are already in use),
and who a station's managers are (the incident playbooks escalate to them)."""

from __future__ import annotations

from django.contrib.auth.models import User

from backend.couriers.models import Courier, Station
from backend.couriers.services import courier_username
from backend.stations.models import StationManager


def station_code_taken(code: str) -> bool:
    return Station.objects.filter(code=code).exists()


def employee_nos_taken(employee_nos: list[str]) -> set[str]:
    return set(Courier.objects.filter(employee_no__in=employee_nos).values_list("employee_no", flat=True))


def usernames_taken(usernames: list[str]) -> set[str]:
    return set(User.objects.filter(username__in=usernames).values_list("username", flat=True))


def courier_usernames(employee_nos: list[str]) -> dict[str, str]:
    """employee number → the user name its login will get (couriers.services decides the rule)."""
    return {no: courier_username(no) for no in employee_nos}


def station_manager_user_ids(station_id: int) -> list[int]:
    """The users who run the station as its managers (active accounts only), by user id."""
    return list(
        StationManager.objects.filter(grants__station_id=station_id, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def station_manager_phone(user_id: int) -> str | None:
    """Where a manager's escalations are texted (E.164); None when the user is no manager."""
    return StationManager.objects.filter(user_id=user_id).values_list("phone", flat=True).first()


def existing_managers(usernames: list[str]) -> set[str]:
    """Which of these user names belong to a station manager already (the import grants them)."""
    return set(
        StationManager.objects.filter(user__username__in=usernames).values_list("user__username", flat=True)
    )


def user_id_of(username: str) -> int:
    return int(User.objects.values_list("pk", flat=True).get(username=username))
