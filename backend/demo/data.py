"""Demo data for one station in Hangzhou's 西湖区: people, phones, addresses, coordinates, shipments.

Pure data building (no database): ``seed_demo`` turns these rows into service calls. Everything is
drawn from a ``random.Random`` the caller seeds, so the same date always gives the same demo, and
tracking numbers come from a fixed serial range, which is how a second run recognises the first.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from parcelkit.rules.tracking import make_tracking_no

# south, north, west, east: every demo coordinate lies inside this box.
DISTRICT_BOX = (30.26, 30.30, 120.10, 120.16)
CITY = "杭州市"
DISTRICT = "西湖区"
PASSWORD = "parcelrun-demo"
FIRST_EMPLOYEE_NO = 1001
MAX_SHIPMENTS = 9999  # one block of serials per day, see demo_tracking_no


@dataclass(frozen=True)
class StationSpec:
    code: str
    name: str
    address: str
    lat: float
    lng: float
    time_zone: str


STATION = StationSpec("HZXH01", "杭州西湖站", "杭州市西湖区文三路259号", 30.2790, 120.1300, "Asia/Shanghai")


@dataclass(frozen=True)
class Road:
    name: str
    postcode: str
    start: tuple[float, float]  # (lat, lng) at house number 1
    end: tuple[float, float]

    @property
    def prefix(self) -> str:
        return f"{DISTRICT}{self.name}"


# Roughly where these roads run; neighbours are listed next to each other so that consecutive
# roads make a compact territory.
ROADS: tuple[Road, ...] = (
    Road("文一路", "310012", (30.2920, 120.1050), (30.2920, 120.1500)),
    Road("文二路", "310012", (30.2860, 120.1050), (30.2860, 120.1550)),
    Road("丰潭路", "310012", (30.2760, 120.1090), (30.2980, 120.1090)),
    Road("益乐路", "310012", (30.2760, 120.1160), (30.2960, 120.1160)),
    Road("古翠路", "310012", (30.2750, 120.1210), (30.2980, 120.1210)),
    Road("学院路", "310012", (30.2720, 120.1300), (30.2980, 120.1300)),
    Road("文三路", "310012", (30.2790, 120.1050), (30.2790, 120.1550)),
    Road("教工路", "310012", (30.2700, 120.1370), (30.2980, 120.1370)),
    Road("黄姑山路", "310007", (30.2700, 120.1410), (30.2800, 120.1410)),
    Road("保俶北路", "310007", (30.2660, 120.1450), (30.2920, 120.1450)),
    Road("马塍路", "310007", (30.2740, 120.1505), (30.2840, 120.1505)),
    Road("杭大路", "310007", (30.2640, 120.1510), (30.2720, 120.1510)),
    Road("曙光路", "310007", (30.2665, 120.1400), (30.2665, 120.1580)),
    Road("天目山路", "310013", (30.2740, 120.1050), (30.2740, 120.1580)),
    Road("玉古路", "310013", (30.2690, 120.1200), (30.2690, 120.1400)),
    Road("西溪路", "310013", (30.2680, 120.1050), (30.2630, 120.1400)),
)
MAX_COURIERS = len(ROADS)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建文辉玲燕鹏宇浩凯婷欣晨雪俊峰宁琳佳怡思远志"
# Mainland mobile prefixes; + 8 digits makes an 11-digit number phonenumbers accepts as valid.
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
)
COMMUNITIES = (
    "嘉绿苑",
    "翠苑一区",
    "翠苑二区",
    "文鼎苑",
    "星洲花园",
    "金都花园",
    "耀江文萃苑",
    "世贸丽晶城",
    "府苑新村",
    "学院路小区",
    "文华苑",
    "古荡新村",
    "益乐新村",
    "马塍小区",
    "求是村",
)
OFFICES = ("华星科技大厦", "黄龙时代广场", "东部软件园", "数娱大厦", "浙商财富中心", "世贸中心", "紫金广场")
MERCHANTS = (
    ("义乌小商品旗舰店", "浙江省义乌市国际商贸城二区"),
    ("三只松鼠食品", "安徽省芜湖市弋江区高新区"),
    ("深圳数码直营仓", "广东省深圳市南山区科技园南区"),
    ("上海服饰仓", "上海市闵行区申滨路88号"),
    ("京东杭州仓", "杭州市余杭区仓前街道"),
    ("天猫超市", "杭州市萧山区空港物流园"),
)
DESTINATIONS = (
    ("上海", "上海市浦东新区张江路"),
    ("北京", "北京市海淀区中关村大街"),
    ("广东", "广东省广州市天河区体育西路"),
    ("江苏", "江苏省南京市鼓楼区中山北路"),
    ("四川", "四川省成都市武侯区人民南路"),
    ("浙江", "浙江省宁波市鄞州区天童南路"),
)
HALF_DAYS = ((9, 12), (13, 18))


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def mobile_phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def territories(couriers: int) -> list[tuple[Road, ...]]:
    """Split the district's roads into ``couriers`` contiguous territories."""
    if not 1 <= couriers <= MAX_COURIERS:
        raise ValueError(f"the demo district has room for 1–{MAX_COURIERS} couriers")
    n = len(ROADS)
    return [ROADS[i * n // couriers : (i + 1) * n // couriers] for i in range(couriers)]


def local_part(address: str) -> str:
    """The address below the city ("西湖区文三路…"), which is what zone prefixes are written against."""
    for head in ("浙江省", CITY):
        address = address.removeprefix(head)
    return address


K = TypeVar("K")


def zone_key_for(address: str, postcode: str, zones: Sequence[tuple[K, list[str], list[str]]]) -> K | None:
    """The key of the first zone whose prefix matches, else the first whose postcode matches.

    ``zones`` holds ``(key, address_prefixes, postcodes)``. Prefixes are tried first because a
    postcode covers several territories in a dense district; the longest prefix wins.
    """
    local = local_part(address)
    best: tuple[int, K] | None = None
    for key, prefixes, _ in zones:
        for prefix in prefixes:
            if local.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), key)
    if best is not None:
        return best[1]
    return next((key for key, _, codes in zones if postcode and postcode in codes), None)


@dataclass(frozen=True)
class Place:
    address: str
    postcode: str
    lat: float
    lng: float


def district_place(rng: random.Random, road: Road) -> Place:
    t = rng.random()
    lat = road.start[0] + t * (road.end[0] - road.start[0]) + rng.uniform(-0.0006, 0.0006)
    lng = road.start[1] + t * (road.end[1] - road.start[1]) + rng.uniform(-0.0006, 0.0006)
    south, north, west, east = DISTRICT_BOX
    lat, lng = min(max(lat, south + 1e-4), north - 1e-4), min(max(lng, west + 1e-4), east - 1e-4)
    number = 1 + int(t * 400)  # house numbers grow along the road, as they do on the ground
    if rng.random() < 0.7:
        rest = f"{rng.choice(COMMUNITIES)}{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
    else:
        rest = f"{rng.choice(OFFICES)}{rng.randint(2, 25)}楼"
    return Place(f"{CITY}{road.prefix}{number}号{rest}", road.postcode, round(lat, 6), round(lng, 6))


def demo_tracking_no(service_date: date, index: int) -> str:
    """A fixed number per (date, index): serials below numbering.FIRST_SERIAL, one 10,000-block per day."""
    if not 0 <= index < MAX_SHIPMENTS:
        raise ValueError(f"index must be 0–{MAX_SHIPMENTS - 1}")
    day = (service_date - date(2026, 1, 1)).days % 1000
    return make_tracking_no(day * 10_000 + index + 1)


def fake_sha256(*parts: object) -> str:
    """Stands in for a photo's or signature's digest: the demo has no image files."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


@dataclass
class DemoShipment:
    index: int
    kind: str  # "pickup" | "delivery"
    fields: dict[str, object]  # ready for ShipmentInput.from_dict
    place: Place  # where the courier goes
    leave_unassigned: bool
    rng_seed: int  # drives this shipment's later choices (proof method, failure reason…)
    extra: dict[str, object] = field(default_factory=dict)


def _window(rng: random.Random, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    if rng.random() < 0.3:  # a narrow one-hour slot the customer booked
        start = datetime.combine(day, time(rng.randint(9, 17)), tz)
        return start, start + timedelta(hours=1)
    first, last = rng.choice(HALF_DAYS)
    return datetime.combine(day, time(first), tz), datetime.combine(day, time(last), tz)


def _handling(rng: random.Random) -> list[str]:
    flags = []
    if rng.random() < 0.12:
        flags += ["fragile", "keep_upright"] if rng.random() < 0.4 else ["fragile"]
    if rng.random() < 0.08:
        flags.append("call_before")
    if rng.random() < 0.03:
        flags += ["high_value", "id_check"]
    return flags


def demo_shipment(rng: random.Random, index: int, day: date, tz: ZoneInfo) -> DemoShipment:
    """Row ``index`` of the day. Rows are drawn in order from one rng, so row i never depends on the total."""
    kind = "pickup" if rng.random() < 0.25 else "delivery"
    place = district_place(rng, rng.choice(ROADS))
    local_name, local_phone = person_name(rng), mobile_phone(rng)
    start, end = _window(rng, day, tz)
    cod = rng.choice((0, 0, 0, 0, 0, rng.randint(20, 800) * 100)) if kind == "delivery" else 0
    data: dict[str, object] = {
        "kind": kind,
        "tracking_no": demo_tracking_no(day, index),
        "service_date": day,
        "service_level": rng.choices(("standard", "express", "same_day"), (70, 20, 10))[0],
        "cod_amount_fen": cod,
        "handling": _handling(rng),
        "declared_weight_g": int(rng.lognormvariate(7.0, 0.9)) + 100,
        "priority": 1 if rng.random() < 0.1 else 0,
    }
    if kind == "delivery":
        merchant, origin = rng.choice(MERCHANTS)
        data |= {
            "sender_name": merchant,
            "sender_phone": mobile_phone(rng),
            "sender_address": origin,
            "recipient_name": local_name,
            "recipient_phone": local_phone,
            "recipient_address": place.address,
            "recipient_postcode": place.postcode,
            "recipient_lat": place.lat,
            "recipient_lng": place.lng,
            "promised_start": start,
            "promised_end": end,
            "delivery_code": f"{rng.randrange(10**6):06d}" if rng.random() < 0.3 else "",
        }
    else:
        region, street = rng.choice(DESTINATIONS)
        data |= {
            "sender_name": local_name,
            "sender_phone": local_phone,
            "sender_address": place.address,
            "sender_lat": place.lat,
            "sender_lng": place.lng,
            "recipient_name": person_name(rng),
            "recipient_phone": mobile_phone(rng),
            "recipient_address": f"{street}{rng.randint(1, 999)}号",
            "destination_region": region,
            "window_start": start,
            "window_end": end,
            "declared_value_fen": rng.choice((0, 5_000, 20_000, 80_000)),
        }
    return DemoShipment(index, kind, data, place, rng.random() < 0.04, rng.randrange(2**32))


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: plenty for a few kilometres inside one district."""
    lat = math.radians((a[0] + b[0]) / 2)
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(lat)
    return math.hypot(dx, dy)


@dataclass(frozen=True)
class Stop:
    lat: float
    lng: float
    opens: datetime | None = None
    closes: datetime | None = None


URGENT = timedelta(minutes=30)


def _opens_by(opens: datetime | None, at: datetime) -> bool:
    return opens is None or opens <= at


def _closes_within(closes: datetime | None, now: datetime, margin: timedelta) -> bool:
    return closes is not None and closes - now <= margin


def walk(
    start: tuple[float, float],
    stops: list[Stop],
    depart: datetime,
    *,
    speed_m_s: float,
    stop_s: int = 240,
    road_factor: float = 1.4,
) -> list[tuple[int, datetime]]:
    """A nearest-neighbour walk from ``start`` that minds the customers' windows: ``(index, eta)`` in order.

    Next is the nearest stop whose window is open on arrival, unless a window closes within 30 minutes
    (that stop goes first); when nothing is open the courier goes to the one that opens first and waits.
    Greedy on purpose: the demo needs a list that looks like a route, the real planner is in dispatch.
    """
    left = set(range(len(stops)))
    here, clock, route = start, depart, []
    while left:
        reach = {
            i: clock + timedelta(seconds=metres(here, (stops[i].lat, stops[i].lng)) * road_factor / speed_m_s)
            for i in left
        }
        open_now = [i for i in left if _opens_by(stops[i].opens, reach[i])]
        urgent = [i for i in open_now if _closes_within(stops[i].closes, clock, URGENT)]
        if urgent:
            nxt = min(urgent, key=lambda i: (stops[i].closes, reach[i], i))
        elif open_now:
            nxt = min(open_now, key=lambda i: (reach[i], i))
        else:
            nxt = min(left, key=lambda i: (stops[i].opens, reach[i], i))
        opens = stops[nxt].opens
        eta = max(reach[nxt], opens) if opens is not None else reach[nxt]
        route.append((nxt, eta))
        clock = eta + timedelta(seconds=stop_s)
        here = (stops[nxt].lat, stops[nxt].lng)
        left.remove(nxt)
    return route
