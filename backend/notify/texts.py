"""The messages' wordings, in Chinese and English, by template key.

A text may name the recipient only masked (``张*``) and carries the link to the customer's page:
never a phone number nor an address (``privacy.check_text`` refuses one that does). Keep them
short: 70 Chinese characters fit in one SMS, and the link takes a good part of that.
"""

from __future__ import annotations

from string import Formatter

from backend.common.errors import DomainError

LANGUAGES = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    # The morning prompt: today's planned one-hour window, and where to change it.
    "morning": {
        "zh": "【Parcelrun】{name}您好，您的包裹预计今天{window}送达。如需改时间或地点，请点击 {link}",
        "en": "Parcelrun: Hello {name}, your parcel is due today {window}. "
        "To change the time or place: {link}",
    },
    # After a failed attempt: what next, before the deadline.
    "failed_attempt": {
        "zh": "【Parcelrun】{name}您好，今天未能将包裹送到您手中。请在{deadline}前选择下一步：{link}",
        "en": "Parcelrun: Hello {name}, we could not deliver your parcel. "
        "Please choose what we do next before {deadline}: {link}",
    },
    # A courier's or a supervisor's proposal ("I can come at 14:30, OK?").
    "proposal": {
        "zh": "【Parcelrun】{name}您好，快递员可在{window}为您派送，请在{deadline}前确认：{link}",
        "en": "Parcelrun: Hello {name}, your courier can come {window}. "
        "Please confirm before {deadline}: {link}",
    },
    # An incident about the parcel (a loss, damage, delay…) was registered: when we answer by.
    "incident": {
        "zh": "【Parcelrun】{name}您好，您的包裹异常已登记，我们将在{deadline}前答复。补充情况：{link}",
        "en": "Parcelrun: Hello {name}, we registered a problem with your parcel "
        "and will answer you by {deadline}. To add details: {link}",
    },
    # The incident was decided (found, compensated, returned, closed): the station will call.
    "incident_done": {
        "zh": "【Parcelrun】{name}您好，您的包裹异常已处理完毕，站点会与您联系。如有疑问：{link}",
        "en": "Parcelrun: Hello {name}, the problem with your parcel has been dealt with; "
        "the station will contact you. Questions: {link}",
    },
    # A disruption (road closure, typhoon…) holds deliveries in the recipient's area.
    "disruption": {
        "zh": "【Parcelrun】{name}您好，因道路或天气突发情况，您所在区域的派送暂停，恢复后再通知您。如有问题：{link}",
        "en": "Parcelrun: Hello {name}, deliveries in your area are paused because of a road or "
        "weather emergency. We will tell you when they resume. Questions: {link}",
    },
    "disruption_end": {
        "zh": "【Parcelrun】{name}您好，您所在区域的派送已恢复，我们会尽快为您派送。如有问题：{link}",
        "en": "Parcelrun: Hello {name}, deliveries in your area have resumed; "
        "your parcel is on its way soon. Questions: {link}",
    },
}

# Only these may be filled in: nothing else about the recipient can reach a text.
PARAMS = frozenset({"name", "window", "deadline", "link"})


# Texts to staff (a station manager): they name the station and the incident, never a customer's
# name, number or address (the manager opens the console for those, behind their login).
STAFF_TEXTS: dict[str, dict[str, str]] = {
    # An incident unresolved past its playbook's hours (loss suspects: 24 working hours).
    "manager_escalation": {
        "zh": "【Parcelrun】站长您好：{station}站异常件{incident}（{type}）{hours}个工作小时未处理完，已升级给您：{link}",
        "en": "Parcelrun: incident {incident} ({type}) at station {station} is unresolved after "
        "{hours} working hours and was escalated to you: {link}",
    },
}
STAFF_PARAMS = frozenset({"station", "incident", "type", "hours", "link"})


def render(template: str, language: str, params: dict[str, str]) -> str:
    """The text of ``template`` in ``language``; ``invalid`` for an unknown one or a missing value."""
    return _render(TEXTS, PARAMS, template, language, params)


def render_staff(template: str, language: str, params: dict[str, str]) -> str:
    """A staff text (``STAFF_TEXTS``), checked like a customer's."""
    return _render(STAFF_TEXTS, STAFF_PARAMS, template, language, params)


def _render(
    texts: dict[str, dict[str, str]],
    allowed: frozenset[str],
    template: str,
    language: str,
    params: dict[str, str],
) -> str:
    if language not in LANGUAGES:
        raise DomainError("invalid", f"language must be one of {LANGUAGES}")
    wording = texts.get(template, {}).get(language)
    if wording is None:
        raise DomainError("invalid", f"no message template {template!r}")
    needed = {field for _, field, _, _ in Formatter().parse(wording) if field}
    unknown = set(params) - allowed
    if unknown:
        raise DomainError("invalid", f"a message cannot carry {sorted(unknown)}")
    missing = needed - set(params)
    if missing:
        raise DomainError("invalid", f"template {template!r} needs {sorted(missing)}")
    return wording.format(**params)
