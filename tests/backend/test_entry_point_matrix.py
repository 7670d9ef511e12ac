"""The edge → service matrix: every way into the backend, and the one service it hands over to.

Walks the URL conf (every DRF view and HTTP method), the socket command table, the sync op table
and the Celery task registry. Each entry must be listed in the table below with the service its
handler calls, and must not call a lower-level write it should reach only through that service
(``job_assign`` is dispatch's and the seed's; a person moving a job goes through
``job_reassign``). A new entry point fails here until someone decides which service it reaches.

The check reads the handler's source (and the ``act`` hook of the shared job-action view): a call
``name(`` must appear. It is a static check, cheap and exact enough for thin edges, which are
all this codebase allows; the behaviour behind each service is tested where the service is.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from backend.celery import app as celery_app
from backend.realtime.commands import COMMANDS
from backend.sync import handlers
from backend.sync.ops import KINDS
from backend.sync.services import push as sync_services

READ = "(read)"  # a GET: selectors only, no service that writes
UNROUTED = "(unrouted)"  # a plain function view answering an unknown /api/ URL with the error shape
PAGE = "(page)"  # a web page that only reads (or sets a cookie): selectors and templates

REST: dict[tuple[str, str], str] = {
    ("ANY", "healthz"): PAGE,  # plain GET-only function views that only read
    ("ANY", "readyz"): PAGE,
    ("ANY", "metrics"): PAGE,
    ("POST", "api/v1/auth/login"): "login",
    ("POST", "api/v1/auth/logout"): "token_revoke",
    ("GET", "api/v1/auth/me"): READ,
    ("GET", "api/v1/auth/tokens"): READ,
    ("POST", "api/v1/auth/tokens/<int:token_id>/revoke"): "token_revoke",
    ("GET", "api/v1/me/jobs"): READ,
    ("GET", "api/v1/jobs/<int:job_id>"): READ,
    ("POST", "api/v1/jobs/<int:job_id>/accept"): "job_accept",
    ("POST", "api/v1/jobs/<int:job_id>/start"): "job_start",
    ("POST", "api/v1/jobs/<int:job_id>/arrive"): "job_arrive",
    ("POST", "api/v1/jobs/<int:job_id>/complete-pickup"): "pickup_complete",
    ("POST", "api/v1/jobs/<int:job_id>/deliver"): "job_deliver",
    ("POST", "api/v1/jobs/<int:job_id>/fail"): "job_fail",
    ("POST", "api/v1/jobs/<int:job_id>/call"): "call_bind",
    ("GET", "api/v1/stations/<str:code>/jobs"): READ,
    ("POST", "api/v1/jobs/<int:job_id>/assign"): "job_reassign",
    ("POST", "api/v1/jobs/<int:job_id>/unassign"): "job_unassign",
    ("POST", "api/v1/jobs/<int:job_id>/cancel"): "job_cancel",
    ("GET", "api/v1/shipments/<str:tracking_no>"): READ,
    ("POST", "api/v1/shipments/<str:tracking_no>/transition"): "shipment_transition",
    ("POST", "api/v1/scans"): "scan",
    ("GET", "api/v1/stations/<str:code>/offline-conflicts"): READ,
    ("POST", "api/v1/offline-conflicts/<int:conflict_id>/resolve"): "offline_conflict_resolve",
    ("POST", "api/v1/stations/<str:code>/shipments"): "shipment_create",
    ("POST", "api/v1/stations/<str:code>/shipments/bulk"): "shipments_create_bulk",
    ("GET", "api/v1/track/<str:tracking_no>"): READ,
    ("GET", "api/v1/reason-codes"): READ,
    ("GET", "api/v1/stations/<str:code>/couriers"): READ,
    ("POST", "api/v1/couriers/<int:courier_id>/revoke-tokens"): "tokens_revoke_for_user",
    ("POST", "api/v1/couriers/<int:courier_id>/unlock-login"): "login_unlock",
    ("POST", "api/v1/sync/push"): "apply_ops",
    ("GET", "api/v1/sync/pull"): READ,
    ("POST", "api/v1/sync/attachments"): "attachment_begin",
    ("GET", "api/v1/sync/attachments/<str:sha256>"): READ,
    ("PUT", "api/v1/sync/attachments/<str:sha256>/chunks"): "attachment_put_chunk",
    ("POST", "api/v1/locations"): "location_record",
    ("GET", "api/v1/waybill-blocks"): READ,
    ("POST", "api/v1/waybill-blocks"): "waybill_block_allocate",
    ("POST", "api/v1/waybill-blocks/<int:block_id>/close"): "waybill_block_close",
    ("POST", "api/v1/quotes"): "quote_for",  # a computation: nothing is written
    ("GET", "api/v1/tariffs/<str:origin>"): READ,
    ("POST", "api/v1/tariffs/<str:origin>"): "tariff_book_publish",
    ("GET", "api/v1/shipments/<str:tracking_no>/label"): READ,
    ("POST", "api/v1/shipments/<str:tracking_no>/print"): "label_print",
    ("POST", "api/v1/stations/<str:code>/plan"): "station_plan",
    ("GET", "api/v1/stations/<str:code>/assignment-decisions"): READ,
    ("GET", "api/v1/stations/<str:code>/unassigned"): READ,
    ("POST", "api/v1/couriers/<int:courier_id>/replan"): "courier_replan",
    ("GET", "api/v1/couriers/<int:courier_id>/plan"): READ,
    ("GET", "api/v1/couriers/<int:courier_id>/unavailable-preview"): "courier_unavailable_preview",
    ("POST", "api/v1/couriers/<int:courier_id>/unavailable"): "courier_unavailable_apply",
    ("POST", "api/v1/jobs/<int:job_id>/auto-assign"): "auto_assign",
    ("POST", "api/v1/reassignments"): "reassign_jobs",
    ("GET", "api/schema/"): READ,
    ("GET", "api/docs/"): READ,
    ("ANY", "^api/(?P<rest>.*)$"): UNROUTED,
    # customers' delivery negotiation
    ("POST", "api/v1/jobs/<int:job_id>/propose"): "negotiation_propose",
    ("POST", "api/v1/negotiations/<int:negotiation_id>/link"): "link_issue",  # signs a link: no row
    ("ANY", "n/<str:token>/"): "negotiation_answer",
    ("POST", "api/v1/jobs/<int:job_id>/hand-over"): "pickup_hand_over",
    ("POST", "api/v1/supervisor-exceptions/<int:exception_id>/resolve"): "supervisor_exception_resolve",
    # the notification gateway: the provider's signed delivery reports
    ("POST", "api/v1/notify/callback"): "message_status_report",
    # the supervisor console (Django's session login and logout, and its language cookie)
    ("ANY", ""): "login",
    ("ANY", "console/"): PAGE,
    ("ANY", "console/<str:code>/"): PAGE,
    ("ANY", "console/<str:code>/cards"): PAGE,
    ("ANY", "console/<str:code>/lane"): PAGE,
    ("ANY", "console/<str:code>/reassign"): "reassign_jobs",
    ("ANY", "console/i18n/setlang/"): PAGE,
    ("ANY", "console/logout/"): "logout",
    ("ANY", "console/<str:code>/kpis/"): PAGE,
    # the volume forecast: the stored forecast for supervisors, and its console page
    ("GET", "api/v1/stations/<str:code>/forecast"): READ,
    ("ANY", "console/<str:code>/forecast/"): PAGE,
    # the console's exceptions queue, shipment search and shipment page
    ("ANY", "console/<str:code>/exceptions/"): PAGE,
    ("ANY", "console/<str:code>/exceptions/resolve"): "exception_resolve",
    ("ANY", "console/<str:code>/search/"): PAGE,
    ("ANY", "console/<str:code>/shipments/<str:tracking_no>/"): PAGE,
    ("ANY", "console/<str:code>/shipments/<str:tracking_no>/reveal"): "contact_reveal",
    ("ANY", "console/<str:code>/shipments/<str:tracking_no>/propose"): "negotiation_propose",
    ("ANY", "console/<str:code>/media/<str:sha256>"): PAGE,
    ("ANY", "console/<str:code>/unavailable/<int:courier_id>/preview"): "courier_unavailable_preview",
    ("ANY", "console/<str:code>/unavailable/<int:courier_id>"): "courier_unavailable_apply",
    ("ANY", "console/<str:code>/unassign"): "unassign_jobs",
    # the console's incidents, disruptions and cash pages (docs/console.md)
    ("ANY", "console/<str:code>/incidents/"): PAGE,
    ("ANY", "console/<str:code>/incidents/<int:incident_id>/ack"): "incident_acknowledge",
    ("ANY", "console/<str:code>/incidents/<int:incident_id>/resolve"): "incident_resolve",
    ("ANY", "console/<str:code>/disruptions/"): PAGE,
    ("ANY", "console/<str:code>/disruptions/new"): "disruption_declare",
    ("ANY", "console/<str:code>/disruptions/<int:disruption_id>/release"): "disruption_lift",
    ("ANY", "console/<str:code>/cash/"): PAGE,
    ("ANY", "console/<str:code>/cash/confirm"): "handover_confirm",
    # the station counter: a held parcel collected with its pickup code (docs/console.md)
    ("ANY", "console/<str:code>/counter/"): PAGE,
    ("ANY", "console/<str:code>/counter/hand-over"): "pickup_hand_over",
    # cash on delivery: the courier's cash, handovers, variances, shift close (docs/cod.md)
    ("GET", "api/v1/cod/holding"): READ,
    ("POST", "api/v1/cod/declarations"): "declaration_record",
    ("POST", "api/v1/cod/handovers"): "handover_confirm",
    ("POST", "api/v1/cod/variances/<int:variance_id>/sign"): "variance_sign",
    ("POST", "api/v1/cod/collections/<int:collection_id>/corrections"): "collection_correct",
    ("POST", "api/v1/cod/shift-close"): "shift_close",
    ("GET", "api/v1/cod/report"): READ,
    ("GET", "api/v1/cod/report.csv"): READ,
    # incidents and claims, disruptions (docs/incidents.md)
    ("GET", "api/v1/stations/<str:code>/incidents"): READ,
    ("POST", "api/v1/stations/<str:code>/incidents"): "incident_raise",
    ("POST", "api/v1/incidents/<int:incident_id>/acknowledge"): "incident_acknowledge",
    ("POST", "api/v1/incidents/<int:incident_id>/resolve"): "incident_resolve",
    ("GET", "api/v1/stations/<str:code>/disruptions"): READ,
    ("POST", "api/v1/stations/<str:code>/disruptions"): "disruption_declare",
    ("POST", "api/v1/disruptions/<int:disruption_id>/lift"): "disruption_lift",
    ("ANY", "n/<str:token>/complaint"): "customer_complaint",
}

SOCKET: dict[str, str] = {
    "location.ping": "location_record",
    "job.reassign": "job_reassign",
}

# Sync op kinds → the service their handler calls. ``location`` writes no row of its own: the
# push keeps the newest fix on the device's row it already holds locked (saved by apply_ops).
SYNC: dict[str, str] = {
    "accept": "job_accept",
    "start": "job_start",
    "arrive": "job_arrive",
    "deliver": "job_deliver",  # or job_deliver_offline, by the conflict rule; see below
    "fail": "job_fail",
    "weigh": "pickup_complete",
    "call_log": "call_log_record",
    "scan": "scans_record_bulk",
    "location": "apply_ops",
    "propose": "negotiation_propose",
    "cod_declare": "declaration_record",
    "cod_sign": "variance_sign",
    "incident": "incident_raise",
}

TASKS: dict[str, str] = {
    "dispatch.replan_courier": "replan_tick",
    "dispatch.watch_couriers": "watch_couriers",
    "dispatch.refresh_etas": "courier_refresh_etas",
    "locations.purge": "locations_purge",
    "negotiation.offer_after_failed_attempt": "negotiation_offer_after_failure",
    "negotiation.expire_due": "negotiation_expire",
    "kpis.rollup_due": "kpi_rollup",
    "kpis.rollup_day": "kpi_rollup",
    "forecast.compute_due": "forecast_compute",
    "forecast.compute_station": "forecast_compute",
    "negotiation.morning_prompts": "negotiation_prompt_morning",
    "notify.send_message": "message_send",
    "notify.send_due": "message_send",
    "sync.expire_abandoned_uploads": "attachments_expire_abandoned",
    "incidents.timers": "incident_timers_tick",
    "incidents.detect_loss": "detect_loss_suspects",
    "incidents.detect_delays": "detect_delays",
}

# Writes an edge must not call itself: they are reached only through the services above.
BYPASS = ("job_assign", "job_set_plan", ".save(", ".objects.create(", ".update(")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _rest_handlers() -> dict[tuple[str, str], str]:
    """(method, route) → the source of what the view runs for it."""
    found: dict[tuple[str, str], str] = {}
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # the admin's own views; its actions are tested in each app's admin tests
        cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if cls is None:  # a function view: every method, with the module's private helpers it calls
            source = inspect.getsource(callback)
            module = inspect.getmodule(callback)
            for name in set(re.findall(r"\b(_\w+)\(", source)):
                helper = getattr(module, name, None)
                if inspect.isfunction(helper):
                    source += inspect.getsource(helper)
            found[("ANY", route)] = source
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(cls, method):
                source = inspect.getsource(getattr(cls, method))
                if hasattr(cls, "act"):  # the job actions: post → handle → act
                    source += inspect.getsource(cls.act)
                found[(method.upper(), route)] = source
    return found


def _calls(source: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\(", source) is not None


def _bypasses(source: str) -> list[str]:
    return [b for b in BYPASS if (b in source if b.startswith(".") else _calls(source, b))]


def test_every_rest_endpoint_is_in_the_matrix_and_reaches_its_service() -> None:
    found = _rest_handlers()
    assert sorted(found) == sorted(REST), "add the new endpoint to REST with the service it calls"
    for key, service in REST.items():
        source = found[key]
        if service == READ:
            assert key[0] == "GET", f"{key}: only a GET may be a plain read"
        elif service == UNROUTED:
            assert key[0] == "ANY" and not _calls(source, "transaction.atomic"), key
        elif service == PAGE:
            assert key[0] == "ANY", key
        else:
            assert _calls(source, service), f"{key} should call {service}"
        assert _bypasses(source) == [], f"{key} writes around the services"


def test_every_socket_command_is_in_the_matrix_and_reaches_its_service() -> None:
    assert sorted(COMMANDS) == sorted(SOCKET)
    for command, service in SOCKET.items():
        source = inspect.getsource(COMMANDS[command])
        assert _calls(source, service) or _calls(source, f"{service}_service"), command
        assert _bypasses(source) == [], command


def _sync_source(kind: str) -> str:
    if kind == "scan":
        return inspect.getsource(sync_services._apply_scans)
    if kind == "location":
        return inspect.getsource(handlers.location) + inspect.getsource(sync_services.apply_ops)
    handler: Callable[..., Any] = handlers.HANDLERS[kind]
    if kind in ("accept", "start", "arrive"):  # _step(service): the service is the closure's
        cell = handler.__closure__[0].cell_contents  # type: ignore[index]
        return f"{cell.__name__}("
    return inspect.getsource(handler)


def test_every_sync_op_kind_is_in_the_matrix_and_reaches_its_service() -> None:
    assert sorted(KINDS) == sorted(SYNC)
    assert set(handlers.HANDLERS) | {"scan", "location"} == set(KINDS)
    for kind, service in SYNC.items():
        source = _sync_source(kind)
        assert _calls(source, service), f"sync op {kind} should call {service}"
        if kind != "location":  # the push saves the device row it locked: that is apply_ops's write
            assert _bypasses(source) == [], kind
    # The offline-delivery rule is the same completion, recorded with its conflict.
    assert _calls(inspect.getsource(handlers.deliver), "job_deliver_offline")


def test_every_celery_task_is_in_the_matrix_and_reaches_its_service() -> None:
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovers tasks.py
    registered = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert sorted(registered) == sorted(TASKS)
    for name, service in TASKS.items():
        source = inspect.getsource(registered[name].run)
        assert _calls(source, service) or _calls(source, f"{service}_service"), name
        assert _bypasses(source) == [], name


@pytest.mark.parametrize(
    "edge",
    [
        inspect.getsource(COMMANDS["job.reassign"]),
        _rest_handlers()[("POST", "api/v1/jobs/<int:job_id>/assign")],
        _rest_handlers()[("POST", "api/v1/reassignments")],
    ],
    ids=["socket job.reassign", "POST /jobs/{id}/assign", "POST /reassignments"],
)
def test_a_person_moving_a_job_always_goes_through_the_reassignment_policy(edge: str) -> None:
    assert not _calls(edge, "job_assign")
    assert (
        _calls(edge, "job_reassign") or _calls(edge, "job_reassign_service") or _calls(edge, "reassign_jobs")
    )
