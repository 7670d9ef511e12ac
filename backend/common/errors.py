"""Domain errors with stable codes, and the one table that maps each code to an HTTP status.

Domain code raises ``DomainError("invalid_transition", "…")``; the API layer turns it into
``{"code", "message", "details"}`` with the status from ``STATUS``. Clients (the handheld, the
console) branch on ``code``, never on the message, which is for people.
"""

from __future__ import annotations

from typing import Any

# code → HTTP status. A code not listed here is a bug: the handler answers 400 and logs it.
STATUS: dict[str, int] = {
    # input
    "invalid": 400,
    "invalid_tracking_no": 400,
    "invalid_phone": 400,
    "invalid_weight": 400,
    "invalid_coordinates": 400,
    "invalid_time_window": 400,
    "parse_error": 400,
    # auth
    "not_authenticated": 401,
    "authentication_failed": 401,
    "token_revoked": 401,
    "permission_denied": 403,
    "wrong_role": 403,
    "phone_mismatch": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "unsupported_media_type": 415,
    "throttled": 429,
    "rate_limited": 429,
    "too_many_attempts": 429,
    "busy": 503,
    "database_unavailable": 503,
    "login_locked": 429,
    "link_invalid": 401,
    "link_expired": 401,
    # lifecycle
    "invalid_transition": 409,
    "job_on_hold": 409,
    "incident_closed": 409,
    "resolution_not_allowed": 409,
    "evidence_missing": 400,
    # a customer's complaint photos (backend/incidents/complaint_photos.py)
    "photo_not_image": 400,
    "photo_too_large": 400,
    "too_many_photos": 400,
    "disruption_lifted": 409,
    "version_conflict": 409,
    "not_assigned_to_you": 409,
    "courier_not_on_duty": 409,
    "courier_other_station": 409,
    "courier_has_open_work": 409,
    "duplicate_tracking_no": 409,
    "manifest_refused": 400,
    "tracking_no_reserved": 409,
    "proof_incomplete": 400,
    "pickup_incomplete": 400,
    "unknown_reason_code": 400,
    "wrong_job_kind": 409,
    "duplicate_operation": 409,
    "too_many_open_blocks": 409,
    "number_not_issued_to_device": 409,
    # offline sync (most are per-op outcomes inside a 200 push response; see docs/sync-protocol.md)
    "job_closed": 409,
    "already_done": 409,
    "already_weighed": 409,
    "malformed_op": 400,
    "unknown_kind": 400,
    "op_id_reused": 409,
    "wrong_device": 403,
    "payload_too_large": 413,
    "attachment_too_large": 413,
    "attachment_quota_exceeded": 413,
    "attachment_type_not_allowed": 415,
    "attachment_offset_mismatch": 409,
    "attachment_hash_mismatch": 422,
    "attachment_type_mismatch": 422,
    # pickup: the QuoteError codes of parcelkit/rules/pricing.py, then tariffs, prices, labels, printers
    "invalid_input": 400,
    "unknown_service_level": 400,
    "no_tariff_for_destination": 400,
    "weight_not_positive": 400,
    "weight_over_limit": 400,
    "dimension_out_of_range": 400,
    "amount_negative": 400,
    "declared_value_over_cap": 400,
    "invalid_tariff_book": 400,
    "price_mismatch": 409,
    "label_not_ready": 409,
    "piece_out_of_range": 400,
    "printer_unreachable": 503,
    # dispatch
    "reassign_conflict": 409,
    "preview_stale": 409,
    # negotiation (docs/negotiation.md)
    "consent_required": 409,
    "negotiation_closed": 409,
    "negotiation_expired": 409,
    "past_cutoff": 409,
    "option_unknown": 400,
    "pickup_code_wrong": 422,
    "pickup_code_locked": 423,
    # handling flags at the door (parcelkit/rules/handling.py, docs/api.md "ID check")
    "handover_in_person_required": 409,
    "id_check_self_only": 409,
    "id_check_required": 400,
    # notifications (docs/negotiation.md, "Prompts and the notification gateway")
    "signature_invalid": 401,
    "unknown_message": 404,
    "message_unsafe": 422,
    # calling the customer through a virtual number (docs/api.md, "Calling")
    "virtual_number_unavailable": 503,
    # the console's exceptions queue (docs/console.md)
    "already_resolved": 409,
    # cash on delivery and the shift's cash (docs/cod.md)
    "cod_amount_mismatch": 409,
    "reason_required": 400,
    # a field required of some callers or with some values only (a schema cannot say so)
    "courier_required": 400,
    "area_required": 400,
    # a time the server refuses relative to now (a location older than locations are kept)
    "time_out_of_range": 400,
    "invalid_date_range": 400,
    "cash_unreturned": 409,
    "handover_stale": 409,
    "already_signed": 409,
}


# Codes that say "the request does not have the documented shape" (a type, a range, a format, a
# required field, an unknown key): a refusal a schema can state, so a request the schema allows
# never earns one. Every other 4xx code names a rule no schema can state (a check digit, fields
# that go together, a time relative to now, the state of the data). The API schema documents the
# difference, and tests/backend/api/test_schemathesis.py holds the server to it.
SHAPE_CODES: frozenset[str] = frozenset({"invalid", "parse_error", "invalid_input", "malformed_op"})


class DomainError(Exception):
    """A refusal the caller can act on. ``code`` is stable; ``message`` is for a person."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r})"
