"""The words of the page's live part and of the cut-off, in Chinese and English (merged into the
page's ``texts.TEXTS`` by the view)."""

from __future__ import annotations

from backend.negotiation.cutoff import Cutoff

LIVE_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "window": "约定时间",
        "cutoff_title": "快递员即将到达",
        "cutoff_body": "现在已无法更改派送时间或地址。",
        "cutoff_still": "您仍可以选择：",
        "cutoff_none": "请保持电话畅通，快递员到达前可能会联系您。",
        "cutoff_live": "快递员即将到达，已无法更改派送时间或地址。",
        "past_cutoff": "快递员即将到达，已无法更改派送时间或地址。",
    },
    "en": {
        "window": "Agreed time",
        "cutoff_title": "Your courier is nearly there",
        "cutoff_body": "The time and the address can no longer be changed.",
        "cutoff_still": "You can still choose:",
        "cutoff_none": "Please keep your phone at hand: the courier may call before arriving.",
        "cutoff_live": "Your courier is nearly there: the time and the address can no longer be changed.",
        "past_cutoff": "Your courier is nearly there: the time and the address can no longer be changed.",
    },
}


def cutoff_detail(lang: str, cutoff: Cutoff) -> str:
    """How close the courier is, in words: "2 stops away · about 12 minutes" / "还有 2 站 · 约 12 分钟"."""
    parts = []
    if cutoff.stops_away is not None:
        if lang == "zh":
            parts.append("正在前往您处" if cutoff.stops_away == 0 else f"还有 {cutoff.stops_away} 站")
        else:
            stops = cutoff.stops_away
            parts.append(
                "on the way to you" if stops == 0 else f"{stops} stop{'s' if stops > 1 else ''} away"
            )
    if cutoff.minutes_away is not None:
        parts.append(f"约 {cutoff.minutes_away} 分钟" if lang == "zh" else f"about {cutoff.minutes_away} min")
    return " · ".join(parts)
