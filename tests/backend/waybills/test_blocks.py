"""Waybill blocks: allocation, ownership of device-issued numbers, closing, and no number ever issued twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.common.errors import DomainError
from backend.shipments.numbering import next_tracking_no
from backend.waybills import services
from backend.waybills.models import WaybillBlock
from parcelkit.rules.tracking import make_tracking_no, serial_of


def test_a_courier_gets_a_block_and_its_numbers_are_valid(courier) -> None:
    block = services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=100)
    assert block.size == 100
    number = make_tracking_no(block.first_serial + 5)
    assert services.waybill_block_for_number(tracking_no=number, device_id="hh-1") == block


def test_a_number_from_another_devices_block_is_refused(courier, other_courier) -> None:
    mine = services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=10)
    with pytest.raises(DomainError) as exc:
        services.waybill_block_for_number(tracking_no=make_tracking_no(mine.first_serial), device_id="hh-2")
    assert exc.value.code == "number_not_issued_to_device"
    server_number = next_tracking_no()
    with pytest.raises(DomainError) as exc:
        services.waybill_block_for_number(tracking_no=server_number, device_id="hh-1")
    assert exc.value.code == "number_not_issued_to_device"


def test_only_couriers_get_blocks_and_only_two_open_per_device(courier, supervisor) -> None:
    with pytest.raises(DomainError) as exc:
        services.waybill_block_allocate(ctx=supervisor.ctx, device_id="desk", size=10)
    assert exc.value.code == "wrong_role"
    services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=10)
    services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=10)
    with pytest.raises(DomainError) as exc:
        services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=10)
    assert exc.value.code == "too_many_open_blocks"


def test_closing_reports_used_and_void_numbers(courier) -> None:
    block = services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=10)
    used = [block.first_serial, block.first_serial + 1, block.first_serial + 1]
    closed = services.waybill_block_close(ctx=courier[1].ctx, block_id=block.pk, used_serials=used)
    assert (closed.used_count, closed.void_count) == (2, 8)
    with pytest.raises(DomainError) as exc:
        services.waybill_block_close(ctx=courier[1].ctx, block_id=block.pk, used_serials=[])
    assert exc.value.code == "invalid_transition"
    # Closed blocks still prove ownership of the numbers they issued (a late sync of an offline pickup).
    assert (
        services.waybill_block_for_number(tracking_no=make_tracking_no(used[0]), device_id="hh-1") == closed
    )


def test_close_refuses_serials_outside_the_block(courier) -> None:
    block = services.waybill_block_allocate(ctx=courier[1].ctx, device_id="hh-1", size=10)
    with pytest.raises(DomainError) as exc:
        services.waybill_block_close(
            ctx=courier[1].ctx, block_id=block.pk, used_serials=[block.last_serial + 1]
        )
    assert exc.value.code == "invalid"


def test_api_allocates_lists_and_closes(client, courier, supervisor) -> None:
    auth = courier[1].auth
    created = client.post("/api/v1/waybill-blocks", {"size": 50}, content_type="application/json", **auth)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["device_id"] == f"device-{courier[1].user.pk}"  # the token's device
    assert serial_of(body["first_tracking_no"]) == body["first_serial"] and body["size"] == 50
    listed = client.get("/api/v1/waybill-blocks", **auth).json()
    assert [b["id"] for b in listed] == [body["id"]]
    closed = client.post(
        f"/api/v1/waybill-blocks/{body['id']}/close",
        {"used_serials": [body["first_serial"]]},
        content_type="application/json",
        **auth,
    )
    assert closed.status_code == 200 and closed.json()["void_count"] == 49
    denied = client.post(
        "/api/v1/waybill-blocks", {"device_id": "x"}, content_type="application/json", **supervisor.auth
    )
    assert denied.status_code == 403 and denied.json()["code"] == "wrong_role"
    bad = client.post(
        "/api/v1/waybill-blocks",
        {"size": 10**9},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=300), min_size=2, max_size=12),
    server_numbers=st.integers(min_value=0, max_value=20),
)
def test_concurrent_allocations_never_issue_a_number_twice(
    courier, sizes: list[int], server_numbers: int
) -> None:
    """Threads allocate blocks (one device each) while the server issues single numbers, all at once."""
    ctx = courier[1].ctx
    barrier = threading.Barrier(len(sizes) + 1)
    singles: list[str] = []
    errors: list[BaseException] = []

    def allocate(i: int, size: int) -> None:
        try:
            barrier.wait()
            services.waybill_block_allocate(ctx=ctx, device_id=f"dev-{i}-{size}-{id(sizes)}", size=size)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def issue_singles() -> None:
        try:
            barrier.wait()
            singles.extend(next_tracking_no() for _ in range(server_numbers))
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(i, n)) for i, n in enumerate(sizes)]
    threads.append(threading.Thread(target=issue_singles))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    issued: list[int] = [serial_of(n) for n in singles]
    for block in WaybillBlock.objects.all():
        issued.extend(range(block.first_serial, block.last_serial + 1))
    assert len(issued) == len(set(issued))


def test_a_block_goes_to_the_tokens_device_never_to_one_named_in_the_body(  # type: ignore[no-untyped-def]
    client, courier, other_courier
) -> None:
    # Courier B naming A's device used to fill A's open-block quota (A then got too_many_open_blocks).
    a_device = f"device-{courier[1].user.pk}"
    for _ in range(services.MAX_OPEN_BLOCKS_PER_DEVICE):
        r = client.post(
            "/api/v1/waybill-blocks",
            {"device_id": a_device, "size": 10},
            content_type="application/json",
            **other_courier[1].auth,
        )
        assert (r.status_code, r.json()["code"]) == (403, "wrong_device")
    mine = client.post(
        "/api/v1/waybill-blocks",
        {"device_id": a_device, "size": 10},
        content_type="application/json",
        **courier[1].auth,
    )
    assert mine.status_code == 201 and mine.json()["device_id"] == a_device
