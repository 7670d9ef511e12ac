"""GET /api/v1/shipments/{no}/label: decoded the way a sorting-centre scanner reads it, by its pixels."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from backend.couriers.models import Station
from backend.shipments.models import Job
from tests.backend.api.conftest import Api
from tests.backend.pickup.conftest import started_pickup
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier, make_supervisor


def decoded(image: Image.Image) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


@pytest.fixture
def job(szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person]) -> Job:
    return started_pickup(
        szx, szx_supervisor, szx_courier, destination_region="GD", declared_weight_g=1234, pieces=2
    )


def _label(api: Api, job: Job, fmt: str, as_: Person, **params: Any) -> Any:
    return api.get(f"/api/v1/shipments/{job.shipment.tracking_no}/label", as_, format=fmt, **params)


def test_png_decodes_to_the_tracking_number_as_code128_and_qr(
    api: Api, job: Job, szx_courier: tuple[Any, Person]
) -> None:
    response = _label(api, job, "png", szx_courier[1])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (800, 1200)  # 100 x 150 mm at 8 dots/mm
    number = job.shipment.tracking_no
    assert decoded(image) == {"Code128": number, "QRCode": number}


def test_pdf_rendered_with_pdftoppm_decodes_to_the_tracking_number(
    api: Api, job: Job, szx_supervisor: Person, tmp_path: Path
) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm missing: apt-get install -y poppler-utils poppler-data"
    response = _label(api, job, "pdf", szx_supervisor, piece=2)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (tmp_path / "label.pdf").write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-r", "203", "-png", "-singlefile", tmp_path / "label.pdf", tmp_path / "page"],
        check=True,
    )
    number = job.shipment.tracking_no
    assert decoded(Image.open(tmp_path / "page.png").convert("L")) == {"Code128": number, "QRCode": number}


def test_zpl_is_text_with_the_printer_drawn_barcodes(api: Api, job: Job, admin: Person) -> None:
    response = _label(api, job, "zpl", admin)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    zpl = response.content.decode("utf-8")
    number = job.shipment.tracking_no
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert f"^FD{number}^FS" in zpl and f"^FDMA,{number}^FS" in zpl
    assert "^FH_^FD1/2^FS" in zpl  # piece 1 of 2


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"format": "gif"}, 400, "invalid"),
        ({}, 400, "invalid"),
        ({"format": "png", "piece": 3}, 400, "piece_out_of_range"),  # a rule of the data, not the shape
    ],
)
def test_bad_query_is_a_400(
    params: dict[str, Any], status: int, code: str, api: Api, job: Job, szx_supervisor: Person
) -> None:
    response = api.get(f"/api/v1/shipments/{job.shipment.tracking_no}/label", szx_supervisor, **params)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_who_may_see_the_label(api: Api, job: Job, szx: Station, other_station: Station) -> None:
    other_courier = make_courier(szx)[1]  # same station, but no job for this shipment
    other_supervisor = make_supervisor(other_station)
    for person in (other_courier, other_supervisor):
        response = _label(api, job, "png", person)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert _label(api, job, "png", None).status_code == 401  # type: ignore[arg-type]


def test_a_parcel_with_no_weight_has_no_label_yet(api: Api, szx: Station, szx_supervisor: Person) -> None:
    unweighed = make_job(szx, szx_supervisor.ctx, "pickup")
    response = _label(api, unweighed, "png", szx_supervisor)
    assert (response.status_code, response.json()["code"]) == (409, "label_not_ready")
