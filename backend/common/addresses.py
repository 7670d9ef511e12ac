"""Chinese postal addresses, normalised and split into administrative divisions.

Written addresses name as many divisions as the writer thought necessary: a parcel label reads
``浙江省杭州市西湖区文二路120号``, a local one ``西湖区文二路120号``, a hurried one
``杭州市 西湖区 文二路１２０号``. A territory's prefix (``西湖区文二路``) must match all three. So
both sides are normalised (NFKC: full-width digits, letters and spaces become half-width; blanks
dropped) and split into province (省/自治区, or one of the four municipalities), city
(市/州/盟/地区/自治州) and district (区/县/旗, or a county-level 市 after a city) and the rest (street,
number). :func:`prefix_matches` then compares division by division: a division both name must be
the same, where a division left out is read as the station's own (a local address omits its own
city and province); the rest must start with the prefix's rest.

A small parser of our own rather than ``cpca`` (no release since 2021, a 3,000-row table loaded
with pandas): we only need the leading divisions peeled off, the same way on both sides, so a
misread on one side is the same misread on the other. What it does not do: divisions written
without their suffix (``浙江杭州西湖区…``) are not recognised as divisions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Characters of street names and numbers that never occur in a division's name: a "…市" or "…区"
# read through one of them ("人民路菜市场") is a street, not a division.
_NOT_DIVISION = re.compile(r"[路街道巷弄号號村镇乡楼栋幢室\d]")
_PROVINCE = re.compile(r"(.{2,8}?(?:省|自治区|特别行政区))")
_MUNICIPALITY = re.compile(r"((?:北京|上海|天津|重庆)市)(?!场)")
# 杭州市: "杭州" ends in 州 too; a division is never followed by 市, so the longer reading wins.
_CITY = re.compile(r"(.{1,10}?(?:自治州|地区|盟|市|州))(?![市场])")
_DISTRICT = re.compile(r"(.{1,10}?(?:区|县|旗|市))(?![市场])")


@dataclass(frozen=True)
class Address:
    """An address split into its leading divisions (``""`` when not written) and the rest."""

    province: str = ""
    city: str = ""
    district: str = ""
    rest: str = ""


def normalise(text: str) -> str:
    """Half-width (NFKC) with every blank removed: ``"杭州市 西湖区文二路１２０号"`` → ``"杭州市西湖区文二路120号"``."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _take(pattern: re.Pattern[str], text: str, *, above_district: bool = False) -> tuple[str, str]:
    m = pattern.match(text)
    if m is None or _NOT_DIVISION.search(m.group(1)):
        return "", text
    if above_district and re.search(
        r"[区县旗]", m.group(1)[:-3] if m.group(1).endswith("自治区") else m.group(1)
    ):
        return "", text  # "拱墅区湖州街": a district comes after its city, never inside its name
    return m.group(1), text[m.end(1) :]


@lru_cache(maxsize=4096)
def parse(text: str) -> Address:
    """Split ``text`` (normalised first) into province, city, district and the rest."""
    rest = normalise(text)
    municipality, rest = _take(_MUNICIPALITY, rest)
    if municipality:
        province, city = municipality, municipality  # 北京市 is both
    else:
        province, rest = _take(_PROVINCE, rest, above_district=True)
        city, rest = _take(_CITY, rest, above_district=True)
    district, rest = _take(_DISTRICT, rest)
    return Address(province=province, city=city, district=district, rest=rest)


def _in_context(address: Address, context: Address) -> Address:
    """The address with the divisions it leaves out read from ``context`` (the station's own).

    Only upward from the first division written: ``西湖区文二路`` is in the station's city and
    province, but ``建德市新安江街道`` (another city) is not in the station's district."""
    if address.province and address.province != context.province:
        return address
    if address.city and address.city != context.city:
        return Address(context.province or address.province, address.city, address.district, address.rest)
    if address.district and address.district != context.district:
        return Address(context.province, context.city or address.city, address.district, address.rest)
    return Address(
        address.province or context.province,
        address.city or context.city,
        address.district or context.district,
        address.rest,
    )


def prefix_matches(address: str, prefix: str, *, context: str = "") -> bool:
    """Whether the territory ``prefix`` claims ``address``, division by division.

    ``context`` is the station's own address: the divisions an address (or a prefix) leaves out
    are read as the station's. Each division both name must then be the same, and the address's
    rest must start with the prefix's rest."""
    here = parse(context) if context else Address()
    a, p = _in_context(parse(address), here), _in_context(parse(prefix), here)
    for level in ("province", "city", "district"):
        want, have = getattr(p, level), getattr(a, level)
        if want and have and want != have:
            return False
    return a.rest.startswith(p.rest)


def matched_length(address: str, prefix: str, *, context: str = "") -> int:
    """How specific a prefix is when it claims ``address`` (0 when it does not): the length of its
    divisions, read in the station's context, and its rest. ``西湖区文二路`` and ``杭州市西湖区文二路``
    are equally specific; the longest prefix wins among a station's zones."""
    if not prefix_matches(address, prefix, context=context):
        return 0
    p = _in_context(parse(prefix), parse(context) if context else Address())
    return len(p.province) + len(p.city) + len(p.district) + len(p.rest)
