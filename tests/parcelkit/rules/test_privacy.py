import re
from pathlib import Path

import pytest

from parcelkit.rules.privacy import (
    PHONE_POLICY,
    Surface,
    mask_address,
    mask_name,
    mask_phone,
    mask_phone_label,
    mask_phone_public,
    phone_for,
)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("0755-26781234", "075****1234"),
        ("2678123", "****8123"),
        ("12345", "****"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_masked_phone_never_contains_the_middle_digits() -> None:
    assert "1234" not in mask_phone("13812345678")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("张", "张*"),
        ("欧阳娜娜", "欧***"),
        (" 李四 ", "李*"),
        ("John Smith", "J********"),
        ("", ""),
    ],
)
def test_mask_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("广东省深圳市南山区科技园南区深南大道10000号", "广东省深圳市南山区****"),
        ("北京市朝阳区建国路88号SOHO现代城5号楼", "北京市朝阳区****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"),
        ("浙江省杭州市余杭区", "浙江省杭州市余杭区"),
        ("221B Baker Street, London", "****, London"),
        ("Flat 3 somewhere", "****"),
        ("", ""),
    ],
)
def test_mask_address(raw: str, masked: str) -> None:
    assert mask_address(raw) == masked


def test_masked_address_hides_the_house_number() -> None:
    assert "10000" not in mask_address("广东省深圳市南山区深南大道10000号")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "*******5678"),
        ("+86 138-1234-5678", "*******5678"),
        ("0571-8888-1234", "*******1234"),
        ("12", "****"),
        ("", ""),
    ],
)
def test_what_anyone_may_read_hides_at_least_six_digits(phone: str, masked: str) -> None:
    assert mask_phone_public(phone) == masked
    assert sum(c.isdigit() for c in masked) <= 4


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138******78"),
        ("+86 138-1234-5678", "138******78"),
        ("8613812345678", "138******78"),
        ("0755-26781234", "075*******34"),
        ("26781234", "******34"),
        ("2678123", "******3"),
        ("12345", "******"),
        ("", ""),
        ("138******78", "138******78"),  # already masked: printed as it came
    ],
)
def test_mask_phone_label(raw: str, masked: str) -> None:
    assert mask_phone_label(raw) == masked


@pytest.mark.parametrize("raw", ["13812345678", "0755-26781234", "26781234", "2678123"])
def test_label_phone_hides_six_digits_and_never_the_last_four(raw: str) -> None:
    """GB/T 2023 waybill privacy: at least six digits hidden; the last four open public tracking."""
    masked = mask_phone_label(raw)
    assert masked.count("*") >= 6
    digits = "".join(c for c in raw if c.isdigit())
    assert digits[-4:] not in masked


def test_masking_twice_changes_nothing() -> None:
    once = (mask_name("欧阳娜娜"), mask_address("北京市朝阳区建国路88号"), mask_phone_label("13900001111"))
    assert (mask_name(once[0]), mask_address(once[1]), mask_phone_label(once[2])) == once


# One mask per surface, chosen in one place (parcelkit.rules.privacy.PHONE_POLICY; docs/security.md,
# "Phone numbers per surface").
@pytest.mark.parametrize(
    ("surface", "masked"),
    [
        (Surface.PUBLIC_TRACKING, "*******5678"),  # shows back only the four the caller proved
        (Surface.CUSTOMER_LINK, "138******78"),  # a forwarded link must not open public tracking
        (Surface.LABEL, "138******78"),
        (Surface.STAFF, "138****5678"),  # station staff: prefix and last four, unmask audited
        (Surface.COURIER, "138****5678"),  # the delivering courier: the 尾号; calls via a virtual number
    ],
)
def test_each_surface_has_its_phone_mask(surface: Surface, masked: str) -> None:
    assert phone_for(surface, "+86 138-1234-5678") == masked


@pytest.mark.parametrize("surface", [Surface.CUSTOMER_LINK, Surface.LABEL])
@pytest.mark.parametrize("raw", ["13812345678", "0755-26781234", "26781234"])
def test_what_people_outside_the_station_read_hides_six_digits(surface: Surface, raw: str) -> None:
    """GB/T 2023 waybill privacy: at least six digits hidden wherever the public can read them,
    and never the last four, the key to public tracking's details (which shows back only those)."""
    digits = "".join(c for c in raw if c.isdigit())
    masked = phone_for(surface, raw)
    assert len(digits) - sum(c.isdigit() for c in masked) >= 6
    assert digits[-4:] not in masked
    assert phone_for(Surface.PUBLIC_TRACKING, raw) == "*******" + digits[-4:]


def test_every_surface_has_a_policy() -> None:
    assert set(PHONE_POLICY) == set(Surface)


def test_no_module_picks_a_phone_mask_of_its_own() -> None:
    """Pages, feeds, logs and labels go through ``phone_for``: a new surface cannot quietly choose
    the staff mask (the customer page once showed ``139****5678`` where the label hid six)."""
    root = Path(__file__).resolve().parents[3]
    offenders = [
        str(path.relative_to(root))
        for folder in ("backend", "parcelkit", "mobile")
        for path in (root / folder).rglob("*.py")
        if path.name != "privacy.py" and re.search(r"\bmask_phone(_public|_label)?\b", path.read_text())
    ]
    assert offenders == []
