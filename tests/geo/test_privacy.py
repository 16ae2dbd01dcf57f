"""Personal data is masked the same way everywhere it is shown."""

import pytest

from geo.privacy import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize("function, value, expected", [
    (mask_name, "张三丰", "张**"),
    (mask_name, "李四", "李*"),
    (mask_name, None, ""),
    (mask_id_number, "41150219800101123X", "411502********123X"),
    (mask_id_number, "12345", "*****"),
    (mask_phone, "13812345678", "138****5678"),
    (mask_phone, "12345", "*****"),
    (mask_phone, "", ""),
])
def test_masking(function, value, expected):
    assert function(value) == expected
