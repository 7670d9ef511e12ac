"""The customer page's words, in Chinese and English. Option texts are not here: they are stored
with each negotiation, exactly as shown."""

from __future__ import annotations

from django.http import HttpRequest

LANGUAGES = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "您的包裹",
        "switch": "English",
        "parcel": "运单号",
        "recipient": "收件人",
        "status": "状态",
        "eta": "预计送达",
        "choose": "请选择您希望的派送方式",
        "deadline": "请在此时间前选择",
        "confirm_title": "请确认",
        "confirm": "确认",
        "back": "返回",
        "answered": "已收到您的选择",
        "expired": "选择时间已过，我们将按原计划处理：",
        "closed": "此链接已失效。",
        "address": "新地址",
        "coordinates": "位置坐标（可选）",
        "lat": "纬度",
        "lng": "经度",
        "neighbour": "邻居的姓名和门牌号",
        "safe_place": "放在哪里（例如：门口鞋柜）",
        "consent_note": "确认即表示您同意由快递员按此方式投递，视为您本人签收。",
        "pickup_code": "取件码",
        "bad_link_title": "无法打开此链接",
        "link_invalid": "此链接无效。请检查短信中的链接是否完整。",
        "link_expired": "此链接已过期。",
        "superseded": "此链接已被新的链接取代，请使用最新短信中的链接。",
        "not_found": "找不到此包裹。",
        "rate_limited": "请求过于频繁，请稍后再试。",
        "next": "如需帮助，请联系派送站点：",
        "next_unknown": "如需帮助，请联系为您派送的快递站点。",
        "error": "无法保存您的选择",
    },
    "en": {
        "title": "Your parcel",
        "switch": "中文",
        "parcel": "Tracking number",
        "recipient": "Recipient",
        "status": "Status",
        "eta": "Expected",
        "choose": "How would you like your parcel delivered?",
        "deadline": "Please choose before",
        "confirm_title": "Please confirm",
        "confirm": "Confirm",
        "back": "Back",
        "answered": "We have your choice",
        "expired": "The time to choose has passed; we went ahead with:",
        "closed": "This link no longer works.",
        "address": "New address",
        "coordinates": "Its coordinates (optional)",
        "lat": "Latitude",
        "lng": "Longitude",
        "neighbour": "Your neighbour's name and door",
        "safe_place": "Where to leave it (e.g. the shoe cabinet by the door)",
        "consent_note": "By confirming you agree that the courier leaves it this way, as if you had signed for it.",
        "pickup_code": "Pickup code",
        "bad_link_title": "This link cannot be opened",
        "link_invalid": "This link is not valid. Please check that the link in the message is complete.",
        "link_expired": "This link has expired.",
        "superseded": "A newer link replaced this one: please use the link in the latest message.",
        "not_found": "We cannot find this parcel.",
        "rate_limited": "Too many requests: please try again in a few minutes.",
        "next": "For help, contact the delivery station:",
        "next_unknown": "For help, contact the station delivering your parcel.",
        "error": "Your choice could not be saved",
    },
}

STATUS: dict[str, dict[str, str]] = {
    "zh": {
        "created": "已下单",
        "picked_up": "已揽收",
        "at_station": "已到达派送站",
        "out_for_delivery": "派送中",
        "delivered": "已签收",
        "delivery_failed": "派送未成功",
        "held": "待自取",
        "returning": "退回中",
        "returned": "已退回",
        "exception": "异常处理中",
        "cancelled": "已取消",
    },
    "en": {
        "created": "Booked",
        "picked_up": "Picked up",
        "at_station": "At the delivery station",
        "out_for_delivery": "Out for delivery",
        "delivered": "Delivered",
        "delivery_failed": "Delivery attempt failed",
        "held": "Waiting for collection",
        "returning": "Returning to sender",
        "returned": "Returned to sender",
        "exception": "Being looked into",
        "cancelled": "Cancelled",
    },
}


def language_of(request: HttpRequest) -> str:
    """``?lang=`` (the switch) first, then the first of Accept-Language we speak; Chinese by default."""
    asked = request.GET.get("lang") or request.POST.get("lang") or ""
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "zh"
