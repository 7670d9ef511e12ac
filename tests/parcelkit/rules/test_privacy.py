import pytest

from parcelkit.rules.privacy import (
    mask_address,
    mask_name,
    mask_phone,
    mask_phone_label,
    mask_phone_public,
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
