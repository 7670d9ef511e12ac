"""What a refused operation means to the courier, and what to do next: by error code. Pure.

The server's ``message`` is English for developers; the courier sees the code's entry here,
translated through the catalogues (zh_CN and en), never the server's text (issue 17). A code not
listed gets the general entry: the work is kept on the handheld and the supervisor decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from mobile.i18n import N_, translate


@dataclass(frozen=True)
class Refusal:
    what: str  # msgid: what happened
    next_step: str  # msgid: what to do now


GENERAL = Refusal(
    N_("Upload failed: the server did not accept this action"),
    N_("Keep the parcel and its proof; hand it to the supervisor at the station"),
)
REFUSALS: dict[str, Refusal] = {
    "invalid_transition": Refusal(
        N_("Upload failed: the station changed this job (cancelled or already closed)"),
        N_("Do not deliver again; bring the parcel back to the station and hand it to the supervisor"),
    ),
    "job_closed": Refusal(
        N_("Upload failed: the job was closed at the station"),
        N_("Bring the parcel back to the station and hand it to the supervisor"),
    ),
    "not_assigned_to_you": Refusal(
        N_("Not your delivery: the job was given to another courier"),
        N_("Return the parcel to the station; the proof stays on this handheld for the supervisor"),
    ),
    "already_done": Refusal(
        N_("Already recorded: the server has this job done"),
        N_("Nothing to do; acknowledge"),
    ),
    "proof_incomplete": Refusal(
        N_("Upload failed: the proof is incomplete"),
        N_("Hand it to the supervisor with the parcel's photo or signature"),
    ),
    "unknown_reason_code": Refusal(
        N_("Upload failed: this failure reason is not known to the server"),
        N_("Record the attempt again with another reason, or hand it to the supervisor"),
    ),
    "invalid_time_window": Refusal(
        N_("The proposed time has passed"),
        N_("Propose a new time to the customer"),
    ),
    "version_conflict": Refusal(
        N_("The job changed while you were offline"),
        N_("Sync again; if it stays, hand it to the supervisor"),
    ),
    "wrong_job_kind": Refusal(
        N_("Upload failed: wrong kind of job"),
        N_("Hand it to the supervisor"),
    ),
    "price_mismatch": Refusal(
        N_("Upload failed: the price differs from the station's tariff"),
        N_("Tell the customer the price may change; hand it to the supervisor"),
    ),
    "number_not_issued_to_device": Refusal(
        N_("Upload failed: the waybill number was not issued to this handheld"),
        N_("Keep the label; hand the parcel to the supervisor"),
    ),
    "wrong_device": Refusal(
        N_("Upload failed: this handheld is not registered to you"),
        N_("Log in again; if it stays, hand it to the supervisor"),
    ),
    "malformed_op": Refusal(
        N_("Upload failed: the action could not be read"),
        N_("Hand it to the supervisor; update the app"),
    ),
    "courier_not_on_duty": Refusal(
        N_("Upload failed: you are not on duty"),
        N_("Start your shift at the station, then sync again"),
    ),
    # An ID-check / high-value parcel handed over against parcelkit/rules/handling.py (an older app).
    "handover_in_person_required": Refusal(
        N_("Upload failed: an ID-check / high-value parcel may not go to a locker, station or guard"),
        N_("Hand it to the supervisor; deliver it again to the recipient in person with their ID"),
    ),
    "id_check_self_only": Refusal(
        N_("Upload failed: an ID-check parcel may be signed only by the recipient in person"),
        N_("Hand it to the supervisor; deliver it again to the recipient in person with their ID"),
    ),
    "id_check_required": Refusal(
        N_("Upload failed: the ID type and last 4 of the ID number are missing"),
        N_("Hand it to the supervisor with the signer's ID type and last 4"),
    ),
    "server_error": Refusal(
        N_("Upload failed again and again on the server"),
        N_("Keep the parcel and its proof; hand it to the supervisor at the station"),
    ),
}


def refusal(code: str) -> Refusal:
    return REFUSALS.get(code, GENERAL)


def explain(code: str, language: str) -> tuple[str, str]:
    """(what happened, what to do next) in ``language``."""
    r = refusal(code)
    return translate(r.what, language), translate(r.next_step, language)
