"""Station managers (站长) in the onboarding roster: rows of the supervisors sheet whose ``role`` is
``manager``, beside the supervisors (an empty ``role`` is a supervisor, as before the column existed).

A manager row needs a ``phone`` (the playbooks' escalations are texted to it). Its username may be
one of an existing station manager (an area manager opening one more station): the import then
grants them the new station and leaves their account, name and number as they are, so such a row
must not carry a password. Any other username in use is "taken", as for a supervisor.

Parsing is pure (``rows.parse`` calls ``split_by_role`` and ``as_manager``); ``check`` and ``apply``
are the database steps ``services.station_onboard`` runs, the one before any write, the other in its
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from backend.stations import selectors
from backend.stations.plan import At, ManagerSpec, SupervisorSpec
from backend.stations.services.managers import manager_create, manager_grant

if TYPE_CHECKING:  # rows imports this module: the name below is for the annotations only
    from backend.stations.rows import _Row

SUPERVISOR, MANAGER = "supervisor", "manager"
ROLE_NAMES = {
    "": SUPERVISOR,
    "supervisor": SUPERVISOR,
    "主管": SUPERVISOR,
    "manager": MANAGER,
    "station_manager": MANAGER,
    "station manager": MANAGER,
    "站长": MANAGER,
}


def split_by_role(rows: list[_Row]) -> tuple[list[_Row], list[_Row]]:
    """The sheet's supervisor rows and manager rows; a row with an unknown role is in neither (its
    error is recorded on the ``role`` cell)."""
    supervisors, managers = [], []
    for row in rows:
        raw = row.cells.get("role", "").strip()
        role = ROLE_NAMES.get(raw.lower())
        if role is None:
            row.error("role", "invalid_role", f"role {raw!r} is not supervisor (主管) or manager (站长)")
        elif role == MANAGER:
            managers.append(row)
        else:
            supervisors.append(row)
    return supervisors, managers


def as_manager(row: _Row, checked: SupervisorSpec | None) -> ManagerSpec | None:
    """A manager row: a supervisor row's checks (``checked``, None when they failed) plus a phone."""
    phone = row.phone(required=True)
    if checked is None or not phone or row.bad:
        return None
    return ManagerSpec(checked.at, checked.username, checked.name, phone, checked.password)


def check(
    managers: list[ManagerSpec],
    courier_logins: set[str],
    taken: Callable[[At, str, str, str], None],
) -> None:
    """What only the database knows: a username in use is taken unless it is a manager's (then no
    password may be given: their account stays as it is)."""
    names = [m.username for m in managers]
    used = selectors.usernames_taken(names)
    existing = selectors.existing_managers(names)
    for m in managers:
        if m.username in existing:
            if m.password:
                taken(
                    m.at,
                    "password",
                    "existing_manager",
                    f"{m.username!r} already manages a station and keeps their password: leave it empty",
                )
        elif m.username in used or m.username in courier_logins:
            taken(m.at, "username", "taken", f"the username {m.username!r} is already in use")


def apply(
    managers: list[ManagerSpec],
    station_id: int,
    run: Callable[..., Any],
    password_factory: Callable[[], str],
) -> list[tuple[ManagerSpec, str | None]]:
    """Create or grant each manager through ``run`` (the import's error-to-row wrapper); returns each
    with the password generated for them (None: given in the file, or an existing account)."""
    existing = selectors.existing_managers([m.username for m in managers])
    made: list[tuple[ManagerSpec, str | None]] = []
    for m in managers:
        if m.username in existing:
            user_id = selectors.user_id_of(m.username)
            run(m.at, manager_grant, user_id=user_id, station_id=station_id)
            made.append((m, None))
            continue
        password = m.password or password_factory()
        run(
            m.at,
            manager_create,
            username=m.username,
            password=password,
            name=m.name,
            phone=m.phone,
            station_ids=[station_id],
        )
        made.append((m, None if m.password else password))
    return made
