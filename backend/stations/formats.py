"""The onboarding file formats: the tables of an import, their columns, and the names people give
them in English and Chinese (docs/station-guide.md, "The files" lists the same).
"""

from __future__ import annotations

import re

from backend.couriers.models import VehicleType
from parcelkit.rules.pricing import Tariff

STATION, SUPERVISORS, COURIERS, ZONES, TARIFFS = "station", "supervisors", "couriers", "zones", "tariffs"
KINDS = (STATION, SUPERVISORS, COURIERS, ZONES, TARIFFS)
# Sheet or file names people give them, in either language.
KIND_NAMES = {
    "station": STATION,
    "站点": STATION,
    "supervisors": SUPERVISORS,
    "supervisor": SUPERVISORS,
    "主管": SUPERVISORS,
    "couriers": COURIERS,
    "courier": COURIERS,
    "快递员": COURIERS,
    "zones": ZONES,
    "zone": ZONES,
    "片区": ZONES,
    "tariffs": TARIFFS,
    "tariff": TARIFFS,
    "资费": TARIFFS,
}

TARIFF_TEXT = ("destination_region", "service_level")
TARIFF_INTS = tuple(name for name in Tariff.__dataclass_fields__ if name not in ("origin", *TARIFF_TEXT))
# (required, optional) columns per kind.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    STATION: (("code", "name", "address", "lat", "lng"), ("time_zone", "phone")),
    # ``role``: supervisor (default) or manager; ``phone``: a manager's, for escalations (manager_rows).
    SUPERVISORS: (("username", "name"), ("password", "role", "phone")),
    COURIERS: (("employee_no", "name", "phone"), ("vehicle_type", "capacity_g", "capacity_cm3", "password")),
    ZONES: (("code", "name"), ("address_prefixes", "postcodes", "courier")),
    TARIFFS: ((*TARIFF_TEXT, *TARIFF_INTS), ("origin",)),
}
# Chinese headers as rosters are usually kept; matched after the English names.
HEADER_NAMES = {
    "代码": "code",
    "编码": "code",
    "名称": "name",
    "姓名": "name",
    "地址": "address",
    "纬度": "lat",
    "经度": "lng",
    "时区": "time_zone",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "用户名": "username",
    "角色": "role",
    "岗位": "role",
    "职务": "role",
    "密码": "password",
    "工号": "employee_no",
    "车辆": "vehicle_type",
    "车型": "vehicle_type",
    "载重克": "capacity_g",
    "容积立方厘米": "capacity_cm3",
    "地址前缀": "address_prefixes",
    "邮编": "postcodes",
    "快递员": "courier",
    "目的地": "destination_region",
    "服务": "service_level",
}
VEHICLE_NAMES = {
    **{v: v for v in VehicleType.values},
    **{str(label).lower(): value for value, label in VehicleType.choices},
    "电动三轮": VehicleType.E_TRICYCLE,
    "电动三轮车": VehicleType.E_TRICYCLE,
    "电动车": VehicleType.E_BIKE,
    "电动自行车": VehicleType.E_BIKE,
    "面包车": VehicleType.VAN,
    "厢式货车": VehicleType.VAN,
    "步行": VehicleType.ON_FOOT,
}
LIST_SEPARATORS = re.compile(r"[;；|\n]")
POSTCODE = re.compile(r"^\d{6}$")
USERNAME = re.compile(r"[\w.@+-]+")  # Django's UnicodeUsernameValidator: what the login form accepts
MAX_LEN = {
    "code": 16,
    "name": 64,
    "address": 255,
    "username": 150,
    "employee_no": 32,
    "zone_code": 32,
    "zone_name": 100,
    "station_name": 100,
}
MIN_PASSWORD = 8  # AUTH_PASSWORD_VALIDATORS' minimum, checked by couriers.services too
MAX_INT = 2**31 - 1  # pickup.services.MAX_TARIFF_INT: fen, grams, millimetres above this are typos
DEFAULT_TIME_ZONE = "Asia/Shanghai"

# The Chinese words shown next to each error code (the English message says which value and why).
ZH = {
    "missing_column": "缺少列",
    "unknown_column": "无法识别的列",
    "duplicate_column": "列名重复",
    "unknown_sheet": "无法识别的文件或工作表",
    "duplicate_sheet": "同一类数据出现在多个文件中",
    "unreadable": "文件无法读取",
    "station_missing": "缺少站点信息",
    "one_station": "每次只能开通一个站点",
    "required": "必填",
    "too_long": "内容过长",
    "not_a_number": "不是有效数字",
    "not_an_integer": "不是非负整数",
    "invalid": "无效",
    "invalid_phone": "手机号无效",
    "invalid_coordinates": "坐标无效",
    "invalid_postcode": "邮编应为6位数字",
    "password_too_short": "密码至少8位",
    "duplicate": "在文件中重复",
    "taken": "已被占用",
    "station_exists": "站点已存在，不能重复开通",
    "unknown_courier": "快递员不在本次导入中",
    "other_station": "不属于本站点",
    "invalid_tariff": "资费无效",
    "empty_zone": "片区至少需要一个地址前缀或邮编",
    "invalid_role": "角色应为主管或站长",
    "existing_manager": "该站长账号已存在，密码请留空",
    "one_tariff_table": "请只提供一个资费文件或工作表",
}


def header_name(raw: str) -> str:
    name = raw.strip().lower().replace(" ", "_").replace("-", "_")
    return HEADER_NAMES.get(raw.strip(), name)
