"""Property-based API check: every operation of the served schema, as each role, against all of
schemathesis's checks: no server error, status codes, content types, headers and bodies as the schema
says, unsupported methods answered 405 with ``Allow``, authentication never ignored, another
station's objects not served, what a request created or deleted is (or is no longer) there, a
request the schema forbids refused, and a request it allows accepted or refused only for a
documented rule (docs/api.md, "Errors").

The schema comes from the running app (GET /api/schema/ through WSGI), so a new endpoint is
covered as soon as it is routed. Each generated request goes out as a courier, a supervisor or an
admin holding a real token, against a seeded station; half of the time its path parameters are
swapped for ids of real objects so the checks reach past "404 not found".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from backend.accounts.authentication import user_for_key
from backend.accounts.services import token_issue
from backend.common.errors import SHAPE_CODES, STATUS
from tests.backend.api.matrix import World, build_world

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# The test runs inside one database transaction per operation; stateful chains and the example
# database would outlive it, so only the stateless phases run, with a small example budget.
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
schema.config.generation.update(max_examples=8, database="none")

# Every check schemathesis has. use_after_free and ensure_resource_availability run but judge a
# request by the ones that created or deleted its resource: that link exists only in the stateful
# phase, which this test cannot run (see above), so they find nothing to compare here.
#
# positive_data_acceptance (ST202) runs through ``_positive_data_acceptance`` below: a request the
# schema allows may still break a rule no schema can state (a check digit, ``lat`` without ``lng``,
# a window that ends before it starts, an origin with no tariff book). Such a refusal passes only
# when the operation documents its status and the body names the rule with a catalogue code; a
# refusal with a shape code (``invalid``: a range, a format, a required field) means the schema is
# incomplete and still fails. schemathesis's own per-operation ``expected-statuses`` would accept
# every 400 of the operation, shape errors included, so it is not used.
ROLES = ("courier", "supervisor", "admin")
_calls = itertools.count()


@pytest.fixture
def world(db: None) -> Iterator[World]:
    # The WSGI handler closes "obsolete" connections when a request starts and ends, and a
    # connection inside the test's transaction looks obsolete: keep it open, as Django's own
    # test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield build_world()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_params(world: World, case: Any) -> None:
    """Point the path at objects that exist and that the caller may well be allowed to see."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return  # the path is the invalid part: replacing it would send a valid request
    real = {
        "job_id": world.delivery.pk,
        "courier_id": world.courier.pk,
        "code": world.station.code,
        "tracking_no": world.delivery.shipment.tracking_no,
    }
    for name in list(case.path_parameters or {}):
        if name in real:
            case.path_parameters[name] = real[name]


@pytest.fixture
def tokens() -> dict[str, str]:
    """Each role's current token, for the examples of one operation."""
    return {}


def _token(world: World, tokens: dict[str, str], role: str) -> str:
    # A generated logout or revoke must not starve the calls after it: a token the server no
    # longer takes (the server's own check) is replaced. Checking is cheaper than issuing one per
    # call, which was a tenth of the test's time.
    key = tokens.get(role)
    if key is None or user_for_key(key) is None:
        user = {
            "courier": world.courier.user,
            "supervisor": world.supervisor.user,
            "admin": world.admin.user,
        }[role]
        key = tokens[role] = token_issue(user, f"fuzz-{role}")[1]
    return key


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case: Any, world: World, tokens: dict[str, str]) -> None:
    # Callers rotate through the roles, and every other round uses real ids. (Hypothesis-drawn
    # values would be nicer, but schemathesis refuses @given next to the schema's own examples.)
    n = next(_calls)
    role = ROLES[n % len(ROLES)]
    if (n // len(ROLES)) % 2 == 0:
        _real_params(world, case)
    # identity: the WSGI transport hands back bytes as served, and would not undo a gzip a real client undoes.
    headers = {"Accept-Encoding": "identity"}
    if not _drops_authorization(case):
        headers["Authorization"] = f"Token {_token(world, tokens, role)}"
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[_positive_data_acceptance],
    )


def _drops_authorization(case: Any) -> bool:
    """A negative case whose headers lost the required ``Authorization`` must go out without one."""
    headers = case.headers or {}
    return (
        case.meta is not None
        and case.meta.is_negative_at(ParameterLocation.HEADER)
        and not any(name.lower() == "authorization" for name in headers)
    )


def _positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's positive_data_acceptance, with documented rule refusals expected."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        documented = {str(status) for status in case.operation.definition.raw.get("responses", {})}
        if is_documented_rule_refusal(documented, response.status_code, _error_code(response)):
            return None
    return positive_data_acceptance(ctx, response, case)


def is_documented_rule_refusal(documented: set[str], status: int, code: str | None) -> bool:
    """A 4xx the operation documents, whose code is a catalogue rule with that status."""
    return (
        400 <= status < 500
        and str(status) in documented
        and code is not None
        and code not in SHAPE_CODES
        and STATUS.get(code) == status
    )


def _error_code(response: Any) -> str | None:
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


@pytest.mark.parametrize(
    ("status", "code", "accepted"),
    [
        (400, "invalid_coordinates", True),  # lat without lng: no schema can say it
        (409, "invalid_transition", True),
        (400, "invalid", False),  # a shape error: the schema is missing a limit
        (400, "parse_error", False),
        (400, "invalid_input", False),
        (422, "invalid_coordinates", False),  # not the code's status
        (400, "no_such_code", False),  # not in the catalogue
        (413, "payload_too_large", False),  # a status the operation does not document
        (400, None, False),
    ],
)
def test_only_documented_rule_refusals_pass_for_valid_data(
    status: int, code: str | None, accepted: bool
) -> None:
    assert is_documented_rule_refusal({"200", "400", "401", "404", "409"}, status, code) is accepted
