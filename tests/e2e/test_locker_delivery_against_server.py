"""Locker and station (驿站) deliveries from the app core to a real backend process (issue 14).

The core collects the compartment, the locker's code and the recipient's consent — on the spot by
phone, or the customer's answer the job carries — and the server accepts every op (no
``proof_incomplete``, no ``consent_required``) and records the consent on the delivery.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.negotiation.services import OptionInput, negotiation_answer
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job, TrackingEvent
from bench.asgi_workers import Worker
from mobile.core import Config, Core
from mobile.flows.delivery import Step
from tests.backend.negotiation.conftest import NOW, offer, options
from tests.mobile.core.helpers import JPEG, make_world
from tests.servers import daphne_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "courier-pass-1"
CALL = "10:02 拨打 138****0000，本人同意放柜"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Worker]:
    yield from daphne_worker(tmp_path, MEDIA_ROOT=str(tmp_path / "media"))


def customer_chose_the_locker(job: Job, world: dict[str, object]) -> int:
    """A failed attempt, then the customer's answer "put it in a locker": the job names the consent."""
    me = world["person"].ctx  # type: ignore[attr-defined]
    svc.job_start(job_id=job.pk, ctx=me)
    svc.job_fail(job_id=job.pk, ctx=me, reason_code="not_home")
    lk = OptionInput(key="lk", kind="hold_locker", text={"zh": "放入快递柜", "en": "Put it in a locker"})
    n = offer(job, world["boss"].ctx, options=[*options(), lk])  # type: ignore[attr-defined]
    answer = negotiation_answer(
        negotiation_id=n.pk, option_key="lk", channel="link", language="zh", ctx=Ctx.system(), now=NOW
    )
    return int(answer.consent.pk)


def test_locker_and_station_deliveries_from_the_core_are_accepted_with_their_consent(
    server: Worker, tmp_path: Path
) -> None:
    world = make_world(deliveries=3)
    spot, answered, station = world["deliveries"]
    consent_id = customer_chose_the_locker(answered, world)
    config = Config(
        data_dir=tmp_path / "phone", server_url=f"http://127.0.0.1:{server.port}", pbkdf2_iterations=1000
    )
    core = Core(config, locate=lambda: (30.28, 120.13, 5.0))
    core.login(world["courier"].employee_no, PASSWORD)
    assert core.online

    # On the spot: nothing typed yet is refused at the door, and nothing is queued.
    flow = core.begin_delivery(spot.pk, scanned=spot.shipment.tracking_no)
    flow.choose_method("locker")
    flow.add_photo(JPEG, "image/jpeg")
    assert flow.confirm() is Step.PROOF and len(flow.problems) == 3
    flow.set_locker_compartment("b07")
    flow.set_locker_code("552187")
    flow.choose_consent_relation("family")
    flow.set_consent_name("王芳")
    flow.set_call_record(CALL)
    assert flow.confirm() is Step.DONE
    core.finish_delivery()

    # The customer's answer: the job carries the consent, no call is asked for.
    flow = core.begin_delivery(answered.pk, scanned=answered.shipment.tracking_no)
    flow.choose_method("locker")
    flow.add_photo(JPEG, "image/jpeg")
    flow.set_locker_compartment("A12")
    flow.set_locker_code("4321")
    assert flow.consent_id == consent_id
    assert flow.confirm() is Step.DONE
    core.finish_delivery()

    # A station (驿站代收), consent taken by phone from the recipient.
    flow = core.begin_delivery(station.pk, scanned=station.shipment.tracking_no)
    flow.choose_method("station")
    flow.set_call_record(CALL)
    assert flow.confirm() is Step.DONE
    core.finish_delivery()

    report = core.sync_now()
    assert report is not None and report.rejected == 0, report
    assert core.pending_count() == 0
    statuses = dict(Job.objects.filter(pk__in=[spot.pk, answered.pk, station.pk]).values_list("pk", "status"))
    assert statuses == {spot.pk: "completed", answered.pk: "completed", station.pk: "completed"}
    details = {
        e.job_id: e.details
        for e in TrackingEvent.objects.filter(kind="delivered", job__courier=world["courier"])
    }
    assert details[spot.pk]["consent_on_the_spot"] == {
        "name": "王芳",
        "relation": "family",
        "call_record": CALL,
    }
    assert details[spot.pk]["locker"] == {"compartment": "B07", "code": "552187"}
    assert (details[answered.pk]["consent_id"], details[answered.pk]["locker"]) == (
        consent_id,
        {"compartment": "A12", "code": "4321"},
    )
    assert details[station.pk]["consent_on_the_spot"]["name"] == station.shipment.recipient_name
    assert details[station.pk]["method"] == "station"
