"""Messages: one per (job, trigger, occasion) however often they are asked for, in Chinese and
English, and never with the recipient's phone number or address."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.notify.models import Message
from backend.notify.privacy import leaks
from backend.notify.services import message_queue
from backend.notify.texts import TEXTS, render
from tests.backend.notify.conftest import NOW, queue

pytestmark = pytest.mark.django_db

PARAMS = {"name": "李*", "window": "09:30–10:30", "deadline": "12:00", "link": "https://p.test/n/abc/"}


def test_asking_twice_writes_one_message(job) -> None:  # type: ignore[no-untyped-def]
    first = queue(job, occasion="2026-11-24", trigger="morning", template="morning", params=PARAMS)
    again, created = message_queue(
        job_id=job.pk,
        trigger="morning",
        occasion="2026-11-24",
        template="morning",
        language="en",  # whatever the second caller says, the first message stands
        params=PARAMS,
        now=NOW,
    )
    assert (again.pk, created) == (first.pk, False)
    assert Message.objects.count() == 1
    # Another occasion (tomorrow) or another trigger is another message.
    queue(job, occasion="2026-11-25", trigger="morning", template="morning", params=PARAMS)
    queue(job, occasion="n7")
    assert Message.objects.count() == 3


def test_a_message_is_queued_with_its_text_and_key(job) -> None:  # type: ignore[no-untyped-def]
    m = queue(job)
    assert (m.status, m.channel, m.template, m.language, m.attempts, m.queued_at) == (
        "queued",
        "sms",
        "failed_attempt",
        "zh",
        0,
        NOW,
    )
    assert (
        m.text
        == "【Parcelrun】李*您好，今天未能将包裹送到您手中。请在12:00前选择下一步：https://parcelrun.test/n/tok/"
    )
    assert len(m.reference) == 32 and m.shipment_id == job.shipment_id


@pytest.mark.parametrize("template", sorted(TEXTS))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_renders_in_both_languages_with_nothing_private(template: str, language: str) -> None:
    text = render(template, language, PARAMS)
    assert PARAMS["link"] in text and "李*" in text
    assert leaks(text, phone="13912345678", address="杭州市西湖区教工路1号") == []


def test_a_template_takes_nothing_but_its_parameters() -> None:
    with pytest.raises(DomainError) as caught:
        render("morning", "zh", {**PARAMS, "phone": "13912345678"})
    assert caught.value.code == "invalid"
    with pytest.raises(DomainError):
        render("morning", "zh", {"name": "李*"})  # no window, no link
    with pytest.raises(DomainError):
        render("morning", "fr", PARAMS)


def test_a_text_with_the_phone_number_or_the_address_is_refused(job) -> None:  # type: ignore[no-untyped-def]
    # The name is the only free text a caller passes: here a careless one puts the number in it.
    for name in ("139 1234 5678", "+86 139-1234-5678", job.address):
        with pytest.raises(DomainError) as caught:
            queue(job, params={**PARAMS, "name": name})
        assert caught.value.code == "message_unsafe", name
    assert Message.objects.count() == 0


def test_the_privacy_check_itself() -> None:
    address = "浙江省杭州市西湖区教工路18号3单元"
    assert leaks("call 13912345678", phone="+8613912345678", address=address) == ["phone"]
    assert leaks("at 教工路18号3单元", phone="13912345678", address=address) == ["address"]
    assert leaks("浙江省杭州市西湖区", phone="13912345678", address=address) == []  # the area is not private
    assert leaks("139****5678", phone="13912345678", address=address) == []


def test_a_committed_message_is_sent_by_its_task_after_commit(
    job, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the task runs in-process (make run)
    settings.NOTIFY_BACKEND = "console"
    settings.NOTIFY_FILE = str(tmp_path / "messages.jsonl")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        m = queue(job)
        queue(job)  # asked twice: one message, one send
    assert len(callbacks) == 1
    m.refresh_from_db()
    assert m.status == "sent"
    assert len((tmp_path / "messages.jsonl").read_text(encoding="utf-8").splitlines()) == 1
