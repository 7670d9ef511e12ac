"""The shift's cash ledger in the admin: its pages render and nothing can be added, changed or deleted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from backend.cod.models import Declaration, Handover, ShiftClose, Variance
from backend.cod.services import handover_confirm, shift_close

pytestmark = pytest.mark.django_db


def test_the_ledger_is_viewable_and_read_only(admin, supervisor, courier) -> None:
    handover = handover_confirm(
        courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=0, received_fen=100, reason="多交"
    )
    shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)
    browser = Client()
    browser.force_login(admin.user)
    for model, obj in (
        (Handover, handover),
        (Variance, handover.variance),
        (ShiftClose, ShiftClose.objects.get()),
    ):
        name = f"admin:cod_{model._meta.model_name}"
        assert browser.get(reverse(f"{name}_changelist")).status_code == 200
        assert browser.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
        assert browser.get(reverse(f"{name}_add")).status_code == 403
    assert browser.get(reverse("admin:cod_declaration_add")).status_code == 403
    assert not Declaration.objects.exists()
