"""rows: the hot reads' hand-written SQL gives the same instances the ORM gives, on any database."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Model

from backend.common import rows
from backend.couriers.models import Courier, Station
from backend.shipments.models import Job
from backend.shipments.services import job_assign
from backend.shipments.services.unit import jobs_locked_with_shipments, lock_one_job
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def values(instance: Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_row_by_primary_key_equals_the_orms(courier: tuple[Courier, Person]) -> None:
    c = courier[0]
    got = rows.by_pk(Courier, c.pk)
    want = Courier.objects.get(pk=c.pk)
    assert got is not None and type(got) is Courier
    assert values(got) == values(want)
    assert got._state.adding is False and got._state.db == connection.alias  # as the ORM loads it
    assert rows.by_pk(Courier, c.pk + 10_000) is None


def test_a_locked_job_and_its_shipment_equal_the_orms(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    """JSON, dates and times, foreign keys: every converter the ORM applies, applied."""
    job = make_job(station, supervisor.ctx, handling=["fragile"], cod_amount_fen=8850)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    with transaction.atomic():
        got = lock_one_job(job.pk)
        want = jobs_locked_with_shipments().get(pk=job.pk)
        assert got is not None
        assert values(got) == values(want)
        assert values(got.shipment) == values(want.shipment)  # the joined row, cached on the job
        assert got.shipment.handling == ["fragile"] and got.shipment.cod_amount_fen == 8850
        assert got.shipment.created_at.tzinfo is not None and got.service_date == want.service_date
        assert lock_one_job(job.pk + 10_000) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks")
@pytest.mark.django_db(transaction=True)
def test_the_job_and_its_shipment_are_locked_until_commit(station: Station, supervisor: Person) -> None:
    import psycopg

    job = make_job(station, supervisor.ctx)
    job_id, shipment_id = job.pk, job.shipment_id
    settings = connection.settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname={settings['NAME']}"
    with transaction.atomic():
        lock_one_job(job_id)
        with psycopg.connect(dsn, autocommit=True) as other:
            other.execute("SET lock_timeout = '100ms'")
            for table, pk in ((Job._meta.db_table, job_id), ("shipments_shipment", shipment_id)):
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])
