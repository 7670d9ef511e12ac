"""Permission-matrix row of the provider's callback (tests/backend/api/test_permission_matrix.py).

No role opens it: only the provider's signature does (tests/backend/notify/test_callback.py), so
every caller without one gets 401 ``signature_invalid`` (not the matrix's ``not_authenticated``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.backend.api.matrix import Row


@dataclass(frozen=True)
class SignedRow(Row):
    def expected(self, role: str) -> tuple[int, str | None]:
        return 401, "signature_invalid"


ROWS: dict[str, Row] = {
    # anon courier_own courier_other sup_own sup_other admin: all refused, whoever they are
    "notify-callback": SignedRow(
        "post",
        lambda w: "/api/v1/notify/callback",
        "401 401 401 401 401 401",
        body=lambda w: {"reference": "0" * 32, "status": "delivered"},
    ),
}
