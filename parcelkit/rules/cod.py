"""Money taken at the door (代收货款 and pickup fees): what a collection must carry. Pure, both sides.

The server checks a delivery's collection with :func:`check_collection` inside
``ProofInput.validate``; the handheld can run the same check before it queues the ``deliver`` op,
so an offline answer is the server's answer. Amounts are integer fen.
"""

from __future__ import annotations

from typing import TypeGuard

# How the recipient paid. Cash stays with the courier until the handover; a QR or mobile payment
# goes straight to the company's account and is identified by the payment provider's reference.
CASH = "cash"
MOBILE_METHODS = frozenset({"wechat", "alipay", "qr"})
COLLECTION_METHODS = frozenset({CASH}) | MOBILE_METHODS
# The same, in the one order the API's schema names them (PaymentMethodEnum).
COLLECTION_METHOD_CHOICES = tuple(sorted(COLLECTION_METHODS))
MAX_PAYMENT_REF = 64

# Failed-attempt reasons for a COD parcel the recipient would not (fully) pay for.
COD_REASONS = frozenset({"cod_refused", "cod_partial", "cod_not_ready"})
# Those that only a parcel with a COD amount can fail for: the server refuses them on any other
# (``invalid``), and the handheld does not offer them there.
COD_ONLY_REASONS = frozenset({"cod_refused", "cod_partial"})


def _is_fen(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def check_collection(
    *, expected_fen: int, collected_fen: object, method: object, payment_ref: object
) -> list[str]:
    """What is wrong with a collection of ``collected_fen`` against the ``expected_fen`` due.

    Empty when the parcel has nothing to collect and nothing was collected, or when exactly the
    amount due was taken by a known method (a mobile payment with its reference). A partial
    payment is not a delivery: it is a failed attempt ``cod_partial``.
    """
    if not _is_fen(collected_fen) or collected_fen < 0:
        return ["the amount collected must be a whole number of fen, 0 or more"]
    if expected_fen == 0:
        return [] if collected_fen == 0 else ["this parcel has no cash on delivery amount to collect"]
    if collected_fen != expected_fen:
        return [
            f"collect exactly {expected_fen / 100:.2f} yuan (got {collected_fen / 100:.2f}); "
            "a partial payment or a refusal is a failed attempt (cod_partial / cod_refused)"
        ]
    return check_method(method, payment_ref)


def check_method(method: object, payment_ref: object) -> list[str]:
    """How it was paid: cash, or a mobile payment with the provider's reference."""
    if method not in COLLECTION_METHODS:
        return [f"choose how the recipient paid: {', '.join(sorted(COLLECTION_METHODS))}"]
    if not isinstance(payment_ref, str) or len(payment_ref.strip()) > MAX_PAYMENT_REF:
        return [f"the payment reference must be text of at most {MAX_PAYMENT_REF} characters"]
    if method in MOBILE_METHODS and not payment_ref.strip():
        return [f"a {method} payment needs its payment reference (the transaction number on the receipt)"]
    return []
