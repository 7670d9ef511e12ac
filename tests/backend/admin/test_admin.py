"""The Django admin: every page renders, lifecycle records are read-only, actions go through the services."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.messages import constants
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from backend.accounts.models import ApiToken
from backend.accounts.roles import Role
from backend.accounts.services import login
from backend.couriers.models import Courier, Station, Supervisor, Zone
from backend.shipments.models import FeedEntry, Job, Shipment, TrackingEvent
from backend.shipments.numbering import reserve_serials
from backend.shipments.services import job_cancel, scan
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

OUR_APPS = ("accounts", "couriers", "shipments")
READ_ONLY = (
    "shipment",
    "job",
    "trackingevent",
    "deliveryattempt",
    "proofofdelivery",
    "feedentry",
    "feedcounter",
    "serialcounter",
    "apitoken",
    "loginattempt",
)


@pytest.fixture
def browser(admin: Person) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def ours() -> list[type[Model]]:
    return [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


def url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def act(browser: Client, model: type[Model], action: str, *pks: int) -> list[tuple[int, str]]:
    response = browser.post(
        url(model, "changelist"), {"action": action, "_selected_action": [str(p) for p in pks]}, follow=True
    )
    assert response.status_code == 200
    return [(m.level, m.message) for m in response.context["messages"]]


def test_every_model_of_ours_is_registered() -> None:
    names = {f"{m._meta.app_label}.{m.__name__}" for m in ours()}
    assert names == {
        "accounts.ApiToken",
        "accounts.LoginAttempt",
        "couriers.Station",
        "couriers.Courier",
        "couriers.Supervisor",
        "couriers.Zone",
        "shipments.Shipment",
        "shipments.Job",
        "shipments.TrackingEvent",
        "shipments.DeliveryAttempt",
        "shipments.ProofOfDelivery",
        "shipments.FeedEntry",
        "shipments.FeedCounter",
        "shipments.SerialCounter",
    }


@pytest.mark.django_db
def test_every_changelist_search_and_change_page_renders(browser: Client) -> None:
    call_command("seed_demo", shipments=40, date="2026-11-24", stdout=StringIO(), stderr=StringIO())
    reserve_serials(1)  # the demo uses fixed numbers, so the counter row is made here
    login(login="supervisor", password="parcelrun-demo", device_id="desk")  # a LoginAttempt row
    for model in ours():
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the seed made no {model.__name__}"
        assert browser.get(url(model, "changelist")).status_code == 200, model
        assert browser.get(url(model, "changelist"), {"q": "PR0"}).status_code == 200, model
        assert browser.get(url(model, "change", obj.pk)).status_code == 200, model
        expected_add = 403 if model._meta.model_name in READ_ONLY else 200
        assert browser.get(url(model, "add")).status_code == expected_add, model


@pytest.mark.django_db
def test_shipments_cannot_be_added_edited_or_deleted(
    browser: Client, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    shipment = job.shipment
    assert browser.post(url(Shipment, "add"), {"tracking_no": "PR000000000018"}).status_code == 403
    browser.post(url(Shipment, "change", shipment.pk), {"status": "delivered", "recipient_name": "X"})
    browser.post(url(Shipment, "delete", shipment.pk), {"post": "yes"})
    browser.post(url(Job, "change", job.pk), {"status": "completed"})
    shipment.refresh_from_db()
    assert (shipment.status, shipment.recipient_name) == ("created", "李四")
    assert Job.objects.get(pk=job.pk).status == "pending"
    page = browser.get(url(Shipment, "change", shipment.pk)).content.decode()
    assert 'name="_save"' not in page and "Shipment created" in page  # read-only view with its event inline


@pytest.mark.django_db
def test_cancel_action_cancels_through_the_service(
    browser: Client, station: Station, supervisor: Person, admin: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    events, feed = TrackingEvent.objects.count(), FeedEntry.objects.count()

    messages = act(browser, Job, "cancel_jobs", job.pk)

    assert messages == [(constants.SUCCESS, "cancelled: 1")]
    job.refresh_from_db()
    assert (job.status, job.version) == ("cancelled", 2)
    event = TrackingEvent.objects.get(job=job, kind="job_cancelled")
    assert event.actor_id == admin.user.pk and event.details["reason"].endswith(admin.user.username)
    assert (TrackingEvent.objects.count(), FeedEntry.objects.count()) == (events + 1, feed + 1)
    assert FeedEntry.objects.filter(job=job, kind="job.updated").count() == 1


@pytest.mark.django_db
def test_a_job_that_cannot_be_cancelled_is_reported_and_left_alone(
    browser: Client, station: Station, supervisor: Person
) -> None:
    done, open_ = make_job(station, supervisor.ctx), make_job(station, supervisor.ctx)
    act(browser, Job, "cancel_jobs", done.pk)
    events, feed = TrackingEvent.objects.count(), FeedEntry.objects.count()

    messages = act(browser, Job, "cancel_jobs", done.pk, open_.pk)

    assert messages[0][0] == constants.ERROR
    assert (
        f"job #{done.pk} ({done.shipment.tracking_no})" in messages[0][1]
        and "(invalid_transition)" in messages[0][1]
    )
    assert messages[1] == (constants.SUCCESS, "cancelled: 1")
    assert Job.objects.get(pk=open_.pk).status == "cancelled"
    assert (TrackingEvent.objects.count(), FeedEntry.objects.count()) == (events + 1, feed + 1)


@pytest.mark.django_db
def test_unassign_action_returns_the_job_to_the_pool(
    browser: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    make_jobs: Callable[..., list[Job]],
) -> None:
    c, _ = courier
    assigned = make_jobs(station, supervisor.ctx, 1, courier=c)[0]
    closed = make_jobs(station, supervisor.ctx, 1, courier=c)[0]
    job_cancel(job_id=closed.pk, ctx=supervisor.ctx, reason="customer cancelled")

    messages = act(browser, Job, "unassign_jobs", assigned.pk, closed.pk)

    assigned.refresh_from_db()
    assert (assigned.status, assigned.courier_id) == ("pending", None)
    assert FeedEntry.objects.get(job=assigned, kind="job.unassigned").prev_courier_id == c.pk
    assert (Job.objects.get(pk=closed.pk).status, Job.objects.get(pk=closed.pk).courier_id) == (
        "cancelled",
        c.pk,
    )
    assert [level for level, _ in messages] == [constants.ERROR, constants.SUCCESS]


@pytest.mark.django_db
def test_shipment_actions_hold_and_mark_exception_via_shipment_transition(
    browser: Client, station: Station, supervisor: Person
) -> None:
    at_station, fresh = make_job(station, supervisor.ctx).shipment, make_job(station, supervisor.ctx).shipment
    scan(tracking_no=at_station.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)

    messages = act(browser, Shipment, "hold_at_station", at_station.pk, fresh.pk)

    assert Shipment.objects.get(pk=at_station.pk).status == "held"
    assert TrackingEvent.objects.filter(shipment=at_station, kind="held").count() == 1
    assert Shipment.objects.get(pk=fresh.pk).status == "created"  # created → held is not in the table
    assert [level for level, _ in messages] == [constants.ERROR, constants.SUCCESS]

    assert act(browser, Shipment, "mark_exception", fresh.pk) == [
        (constants.SUCCESS, "marked as exception: 1")
    ]
    assert TrackingEvent.objects.get(shipment=fresh, kind="exception").status_after == "exception"


@pytest.mark.django_db
def test_revoke_action_revokes_live_tokens(browser: Client, courier: tuple[Courier, Person]) -> None:
    token = ApiToken.objects.get(user=courier[1].user)
    assert act(browser, ApiToken, "revoke", token.pk) == [(constants.SUCCESS, "revoked: 1")]
    token.refresh_from_db()
    assert token.revoked_at is not None and "admin" in token.revoked_reason


@pytest.mark.django_db
def test_adding_a_courier_creates_the_login_through_the_service(browser: Client, station: Station) -> None:
    form = {
        "station": station.pk,
        "employee_no": "E9001",
        "name": "新人",
        "phone": "13912345678",
        "vehicle_type": "e_bike",
        "password": "long-enough-1",
    }
    response = browser.post(url(Courier, "add"), form)
    assert response.status_code == 302
    courier = Courier.objects.get(employee_no="E9001")
    assert (courier.phone, courier.capacity_g, courier.user.username) == (
        "+8613912345678",
        60_000,
        "courier-e9001",
    )
    assert courier.user.check_password("long-enough-1")

    bad = browser.post(url(Courier, "add"), form | {"employee_no": "E9002", "phone": "12345"})
    assert bad.status_code == 200 and "phone" in bad.context["adminform"].form.errors
    assert not Courier.objects.filter(employee_no="E9002").exists()


@pytest.mark.django_db
def test_adding_a_supervisor_and_editing_a_courier(
    browser: Client, station: Station, courier: tuple[Courier, Person]
) -> None:
    form = {"station": station.pk, "name": "周站长", "username": "zhou", "password": "long-enough-1"}
    assert browser.post(url(Supervisor, "add"), form).status_code == 302
    assert login(login="zhou", password="long-enough-1", device_id="d")[2].role is Role.SUPERVISOR
    assert browser.post(url(Supervisor, "add"), form).context["adminform"].form.errors.keys() == {"username"}

    c = courier[0]
    edit = {
        "station": station.pk,
        "employee_no": c.employee_no,
        "name": "改名",
        "phone": "18912345678",
        "vehicle_type": "van",
        "capacity_g": 900_000,
        "capacity_cm3": 5_000_000,
        "shift_start": "07:00",
        "shift_end": "19:00",
        "duty_status": "off_duty",
    }
    assert browser.post(url(Courier, "change", c.pk), edit).status_code == 302
    c.refresh_from_db()
    assert (c.name, c.phone, c.capacity_g) == ("改名", "+8618912345678", 900_000)
    assert c.duty_status == "on_duty"  # read-only in the form: duty changes go through the actions
    assert act(browser, Courier, "set_off_duty", c.pk)[-1] == (constants.SUCCESS, "Off duty: 1")
    assert Courier.objects.get(pk=c.pk).duty_status == "off_duty"


@pytest.mark.django_db
def test_a_zone_cannot_go_to_a_courier_of_another_station(
    browser: Client, other_station: Station, courier: tuple[Courier, Person]
) -> None:
    form = {
        "station": other_station.pk,
        "code": "Z9",
        "name": "片区",
        "courier": courier[0].pk,
        "address_prefixes": '["西湖区文三路"]',
        "postcodes": '["310012"]',
    }
    response = browser.post(url(Zone, "add"), form)
    assert response.status_code == 200 and "courier" in response.context["adminform"].form.errors
    assert not Zone.objects.exists()
    assert browser.post(url(Zone, "add"), form | {"courier": ""}).status_code == 302
    assert Zone.objects.get().address_prefixes == ["西湖区文三路"]
