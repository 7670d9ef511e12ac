"""The pickup flow's English problems reach the courier in the catalogues' words, in kg and cm."""

from __future__ import annotations

import pytest

from mobile import pickup_messages
from mobile.i18n import translate
from parcelkit.rules.pickup import check_dimensions, check_inspection, check_manual_weight, check_payment


@pytest.mark.parametrize(
    ("problem", "zh"),
    [
        (check_manual_weight(0, "")[0], "请输入重量（千克）"),
        (check_manual_weight(0, "")[1], "请说明手动输入重量的原因"),
        (check_dimensions(0, 10, 10, 1)[0], "请输入长、宽、高（厘米）"),
        (check_inspection(True, 200_000, "")[0], "保价超过1000元：请拍摄内件照片"),
        (check_inspection(False, 0, "")[0], "请确认无违禁品，否则拒收"),
        (check_payment("")[0], "请选择付款方式"),
        ("weight over the limit for standard (weight_over_limit)", "超过该服务的重量上限"),
        ("scale not connected (/dev/ttyUSB0)", "电子秤未给出重量：请检查电子秤，或手动输入重量并说明原因"),
        ("[Errno 111] Connection refused", "无法继续：请重试，或交主管处理"),
    ],
)
def test_every_pickup_problem_is_shown_in_chinese(problem: str, zh: str) -> None:
    assert translate(pickup_messages.msgid(problem), "zh_CN") == zh
    assert translate(pickup_messages.msgid(problem), "en").isascii()
