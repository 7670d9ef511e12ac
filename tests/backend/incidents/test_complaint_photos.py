"""A customer's complaint with photos: checked by their bytes (Pillow), stored like a courier's
photos (content-addressed attachments named by the incident), shown and served on the console; a
refused photo writes nothing."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from backend.couriers.models import Station
from backend.incidents.complaint_photos import MAX_PHOTO_BYTES
from backend.incidents.models import Incident
from backend.incidents.services import customer_complaint
from backend.negotiation.links import link_issue
from backend.shipments.models import Job
from backend.sync.attachments import storage_path
from backend.sync.models import Attachment
from backend.sync.services.attachments import attachments_store_whole
from tests.clock import station_tz
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 9, 30, 20, 0, tzinfo=ZoneInfo(station_tz()))


def image(fmt: str, colour: str = "red", size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def job(station: Station, supervisor: Person) -> Job:
    with time_machine.travel(NOW, tick=False):
        return make_job(station, supervisor.ctx)


def link(job: Job) -> str:
    token, _, _ = link_issue(negotiation_id=1, shipment_id=job.shipment_id, now=NOW)
    return token


def complain(
    job: Job, *photos: SimpleUploadedFile, kind: str = "damage", lang: str = "zh", token: str = ""
) -> tuple[int, str]:
    token = token or link(job)
    with time_machine.travel(NOW, tick=False):
        answer = Client().post(
            f"/n/{token}/complaint",
            {"incident_type": kind, "description": "外箱压坏了", "lang": lang, "photos": list(photos)},
        )
    return answer.status_code, answer.content.decode()


def test_the_photos_are_stored_by_their_real_type_and_named_by_the_incident(job: Job) -> None:
    jpeg, png = image("JPEG"), image("PNG", "blue")
    # The PNG claims to be a JPEG: it is stored as what its bytes say.
    status, html = complain(job, upload(jpeg), upload(png, "fake.jpg", "image/jpeg"))
    assert status == 200 and "2026-10-15" in html
    incident = Incident.objects.get()
    assert incident.photo_sha256 == [sha(jpeg), sha(png)]
    stored = {a.sha256: a for a in Attachment.objects.all()}
    assert {s: (a.content_type, a.size, a.complete, a.created_by_id) for s, a in stored.items()} == {
        sha(jpeg): ("image/jpeg", len(jpeg), True, None),
        sha(png): ("image/png", len(png), True, None),
    }
    assert storage_path(sha(jpeg)).read_bytes() == jpeg and storage_path(sha(png)).read_bytes() == png


def test_a_webp_photo_is_accepted(job: Job) -> None:
    webp = image("WEBP")
    assert complain(job, upload(webp, "p.webp", "image/webp"))[0] == 200
    assert Attachment.objects.get().content_type == "image/webp"


def test_the_same_photo_twice_is_one_photo(job: Job) -> None:
    jpeg = image("JPEG")
    assert complain(job, upload(jpeg), upload(jpeg, "again.jpg"))[0] == 200
    assert Incident.objects.get().photo_sha256 == [sha(jpeg)]
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([upload(image("JPEG", c)) for c in ("red", "green", "blue", "white")], "最多只能上传 3 张照片"),
        ([upload(b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES)], "照片太大"),
        ([upload(b"just some text, not a photo")], "无法识别照片"),
        ([upload(b"GIF89a" + b"\0" * 64, "anim.gif", "image/gif")], "无法识别照片"),
        ([upload(image("JPEG")[:40])], "无法识别照片"),  # cut short
        # 64 megapixels in a few kilobytes: refused from its header, never decoded.
        ([upload(image("PNG", "white", (8000, 8000), "1"), "bomb.png", "image/png")], "无法识别照片"),
        ([upload(image("JPEG")), upload(b"%PDF-1.7 ...", "scan.png", "image/png")], "无法识别照片"),
    ],
    ids=["too-many", "too-large", "not-an-image", "gif", "truncated", "bomb", "one-good-one-bad"],
)
def test_a_refused_photo_writes_nothing(
    job: Job, media_root: Path, photos: list[SimpleUploadedFile], message: str
) -> None:
    status, html = complain(job, *photos)
    assert status == 400 and message in html
    assert 'enctype="multipart/form-data"' in html  # the form again, to try once more
    assert not Incident.objects.exists() and not Attachment.objects.exists()
    assert list(media_root.rglob("*")) == []


def test_a_body_over_the_limit_is_refused_unread_in_english(job: Job) -> None:
    big = [upload(b"\xff\xd8\xff" + b"\0" * (MAX_PHOTO_BYTES - 4), f"{n}.jpg") for n in range(3)]
    status, html = complain(job, *big, lang="en")
    assert status == 400 and "A photo is too large" in html
    assert not Incident.objects.exists() and not Attachment.objects.exists()


def test_a_repeated_complaint_keeps_the_first_photos(job: Job) -> None:
    first, second, token = image("JPEG", "red"), image("JPEG", "green"), link(job)
    assert complain(job, upload(first), token=token)[0] == 200
    assert complain(job, upload(second), token=token)[0] == 200
    assert Incident.objects.get().photo_sha256 == [sha(first)]
    assert list(Attachment.objects.values_list("sha256", flat=True)) == [sha(first)]


def test_a_photo_already_uploaded_by_someone_is_reused(job: Job, supervisor: Person) -> None:
    jpeg = image("JPEG")
    path = storage_path(sha(jpeg))
    path.parent.mkdir(parents=True)
    path.write_bytes(jpeg)
    Attachment.objects.create(
        sha256=sha(jpeg), size=len(jpeg), content_type="image/jpeg", received=len(jpeg), complete=True,
        created_by=supervisor.user, created_at=NOW,
    )  # fmt: skip
    assert complain(job, upload(jpeg))[0] == 200
    assert Attachment.objects.get().created_by_id == supervisor.user.pk
    assert Incident.objects.get().photo_sha256 == [sha(jpeg)]


def test_the_form_still_checks_the_csrf_token(job: Job) -> None:
    token, _, _ = link_issue(negotiation_id=1, shipment_id=job.shipment_id, now=NOW)
    url = f"/n/{token}/complaint"
    with time_machine.travel(NOW, tick=False):
        client = Client(enforce_csrf_checks=True)
        form = {"incident_type": "loss", "description": "不见了", "photos": [upload(image("JPEG"))]}
        forged = client.post(url, form)
        page = client.get(url)
        csrf = page.context["csrf_token"]
        sent = client.post(url, {**form, "photos": [upload(image("JPEG"))], "csrfmiddlewaretoken": csrf})
    assert (forged.status_code, sent.status_code) == (403, 200)
    assert Incident.objects.count() == 1


def test_the_service_refuses_more_photos_than_the_form_allows(job: Job) -> None:
    from backend.common.errors import DomainError
    from backend.common.images import image_blob

    blobs = [image_blob(image("PNG", c)) for c in ("red", "green", "blue", "white")]
    with pytest.raises(DomainError) as refused:
        customer_complaint(
            shipment_id=job.shipment_id, incident_type="damage", description="x", link_id="l1",
            photos=blobs, store_photos=attachments_store_whole, now=NOW,
        )  # fmt: skip
    assert refused.value.code == "too_many_photos"
    assert not Attachment.objects.exists()


def test_the_station_sees_and_opens_the_customers_photos(
    job: Job, station: Station, supervisor: Person, other_station: Station, other_supervisor: Person
) -> None:
    jpeg = image("JPEG")
    assert complain(job, upload(jpeg))[0] == 200
    console = Client()
    console.force_login(supervisor.user)
    html = console.get(f"/console/{station.code}/incidents/").content.decode()
    media = f"/console/{station.code}/media/{sha(jpeg)}"
    assert f'class="incident-photo" src="{media}"' in html
    served = console.get(media)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == jpeg  # type: ignore[attr-defined]
    # Another station's supervisor: not their incident, not their photo.
    other = Client()
    other.force_login(other_supervisor.user)
    assert other.get(f"/console/{other_station.code}/media/{sha(jpeg)}").status_code == 404
