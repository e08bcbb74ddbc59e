"""Exchange size strings parse to bytes and compare as sizes."""

from __future__ import annotations

import pytest

from tui.shell.sizes import ByteSize, format_size, is_exchange_size, parse_size


@pytest.mark.parametrize(("text", "expected"), [
    ("99 GB (106,300,440,576 bytes)", 106_300_440_576),
    ("49.5 GB (53,150,220,288 bytes)", 53_150_220_288),
    ("0 B (0 bytes)", 0),
    ("1 byte", None),
    ("50GB", 50 * 1024 ** 3),
    ("1.5 MB", int(1.5 * 1024 ** 2)),
    ("100 kb", 100 * 1024),
    ("hello", None),
    ("", None),
])
def test_parse_size_reads_service_strings_and_literals(text: str, expected: int | None) -> None:
    size = parse_size(text)
    assert (size.bytes if size else None) == expected


def test_unlimited_is_larger_than_every_finite_size() -> None:
    unlimited = parse_size("Unlimited")
    assert unlimited is not None and unlimited.unlimited
    assert unlimited > ByteSize(10 ** 18)
    assert ByteSize(1) < unlimited
    assert unlimited == parse_size("unlimited")


def test_sizes_compare_by_bytes_and_with_numbers() -> None:
    quota = parse_size("99 GB (106,300,440,576 bytes)")
    assert quota is not None
    assert quota > parse_size("50GB")
    assert quota < 200 * 1024 ** 3
    assert quota == 106_300_440_576
    assert sorted([parse_size("2 MB"), parse_size("Unlimited"), parse_size("1 KB")]) == [
        ByteSize(1024), ByteSize(2 * 1024 ** 2), ByteSize.unlimited_size()]


def test_numbers_are_not_sizes_and_exchange_form_is_recognised() -> None:
    assert parse_size(5) is None
    assert is_exchange_size("99 GB (106,300,440,576 bytes)")
    assert is_exchange_size("Unlimited")
    assert not is_exchange_size("50GB")
    assert not is_exchange_size(50)


def test_format_size_writes_the_service_form_and_round_trips() -> None:
    assert format_size(106_300_440_576) == "99 GB (106,300,440,576 bytes)"
    assert format_size(0) == "0 B (0 bytes)"
    assert format_size(1536 * 1024) == "1.5 MB (1,572,864 bytes)"
    for n in (0, 1, 1023, 1024, 5 * 1024 ** 3 + 7, 99 * 1024 ** 3):
        size = parse_size(format_size(n))
        assert size is not None and size.bytes == n
    assert str(ByteSize.unlimited_size()) == "Unlimited"
