"""A .npy member whose header is not Python literal syntax is refused with ValueError, never a
tokenize.TokenError traceback (numpy's header parser tokenizes it first)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from engine.archive import load_npy


def blob(header: bytes) -> bytes:
    h = header + b" " * (63 - len(header) - 10) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + b"\0" * 8


@pytest.mark.parametrize(
    "header", [b"{'descr': '''<f4", b'{\'descr\': """', b"{'descr': '<f4', 'shape': (2,), }\\"]
)
def test_an_unterminated_header_is_a_value_error(header: bytes) -> None:
    with pytest.raises(ValueError, match="not a .npy array"):
        load_npy(blob(header), 100)


def test_a_good_array_still_loads() -> None:
    import io

    f = io.BytesIO()
    np.save(f, np.arange(3, dtype=np.float32))
    np.testing.assert_array_equal(load_npy(f.getvalue(), 100), [0, 1, 2])
