"""The address normaliser: divisions peeled off the front, compared in the station's own divisions."""

from __future__ import annotations

import pytest

from backend.common.addresses import Address, matched_length, normalise, parse, prefix_matches

STATION = "杭州市西湖区文三路259号"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("杭州市西湖区文二路120号", Address("", "杭州市", "西湖区", "文二路120号")),
        ("浙江省杭州市西湖区文二路120号", Address("浙江省", "杭州市", "西湖区", "文二路120号")),
        ("西湖区文二路１２０号", Address("", "", "西湖区", "文二路120号")),
        ("浙江省 杭州市　西湖区  文二路120号", Address("浙江省", "杭州市", "西湖区", "文二路120号")),
        ("北京市朝阳区建国路1号", Address("北京市", "北京市", "朝阳区", "建国路1号")),
        ("内蒙古自治区呼和浩特市新城区中山路", Address("内蒙古自治区", "呼和浩特市", "新城区", "中山路")),
        ("黔东南苗族侗族自治州凯里市大十字", Address("", "黔东南苗族侗族自治州", "凯里市", "大十字")),
        ("桐庐县富春路3号", Address("", "", "桐庐县", "富春路3号")),
        ("拱墅区湖州街8号", Address("", "", "拱墅区", "湖州街8号")),  # 湖州 inside a street is no city
        ("人民路菜市场1号", Address("", "", "", "人民路菜市场1号")),  # nor a market a 市
        ("北京路5号", Address("", "", "", "北京路5号")),  # nor a street named after Beijing
        ("文二路", Address("", "", "", "文二路")),
        ("西湖区", Address("", "", "西湖区", "")),
    ],
)
def test_parse_peels_the_divisions_off_the_front(text: str, expected: Address) -> None:
    assert parse(text) == expected


def test_normalise_makes_full_width_half_width_and_drops_blanks() -> None:
    assert normalise("杭州市　西湖区 文二路１２０号 Ａ座") == "杭州市西湖区文二路120号A座"


@pytest.mark.parametrize(
    "address",
    [
        "杭州市西湖区文二路120号",
        "浙江省杭州市西湖区文二路120号",
        "西湖区文二路120号",
        "文二路120号",  # a local address: in the station's district
        " 杭州市 西湖区 文二路１２０号",
        "浙江省　杭州市　西湖区　文二路１２０号",
    ],
)
def test_a_district_prefix_claims_the_address_however_it_is_written(address: str) -> None:
    assert prefix_matches(address, "西湖区文二路", context=STATION)
    assert prefix_matches(address, "杭州市西湖区文二路", context=STATION)
    assert prefix_matches(address, "浙江省杭州市西湖区文二", context=STATION)


@pytest.mark.parametrize(
    "address",
    [
        "杭州市上城区文二路1号",  # another district of the same city
        "宁波市西湖区文二路1号",  # another city
        "杭州市西湖区文三路1号",  # another street
        "西湖区文",  # shorter than the prefix
    ],
)
def test_a_prefix_does_not_claim_other_divisions_or_streets(address: str) -> None:
    assert not prefix_matches(address, "西湖区文二路", context=STATION)


def test_the_same_prefix_written_with_or_without_its_city_is_equally_specific() -> None:
    a = "杭州市西湖区文二路120号"
    assert matched_length(a, "西湖区文二路", context=STATION) == matched_length(
        a, "杭州市西湖区文二路", context=STATION
    )
    assert matched_length(a, "西湖区文二路12", context=STATION) > matched_length(
        a, "西湖区文二路", context=STATION
    )
    assert matched_length(a, "西湖区", context=STATION) < matched_length(a, "西湖区文二路", context=STATION)
    assert matched_length(a, "上城区", context=STATION) == 0


def test_a_province_is_compared_when_the_station_names_its_own() -> None:
    here = "浙江省杭州市西湖区文三路259号"
    assert prefix_matches("杭州市西湖区文二路1号", "浙江省西湖区文二路", context=here)
    assert not prefix_matches("江苏省苏州市姑苏区文二路1号", "西湖区文二路", context=here)
