"""The CASIA POT reader: round trip through write_pot, and clear errors on broken files."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.ink import Ink
from trainer.data.errors import DataError
from trainer.data.pot import PotIndex, encode_sample, iter_pot, write_pot


def _samples(n: int, seed: int = 0) -> list[tuple[str, list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    labels = "中国我的永一A啊"
    out = []
    for k in range(n):
        strokes = [
            rng.integers(0, 3000, size=(int(rng.integers(1, 30)), 2)).astype(np.int16)
            for _ in range(int(rng.integers(1, 12)))
        ]
        out.append((labels[k % len(labels)], strokes))
    return out


def test_round_trip(tmp_path: Path) -> None:
    samples = _samples(25)
    write_pot(tmp_path / "w1.pot", samples)
    got = list(iter_pot(tmp_path / "w1.pot"))
    assert [s.label for s in got] == [label for label, _ in samples]
    for s, (_, strokes) in zip(got, samples, strict=True):
        assert len(s.strokes) == len(strokes)
        assert all(np.array_equal(a, b) for a, b in zip(s.strokes, strokes, strict=True))
    assert got[0].offset == 0 and got[1].offset == len(encode_sample(*samples[0]))


def test_tag_is_the_gb_code_swapped(tmp_path: Path) -> None:
    data = encode_sample("啊", [np.array([[1, 2]])])
    size, tag, n = struct.unpack_from("<H4sH", data)
    assert tag == bytes([0xA1, 0xB0, 0, 0]) and n == 1 and size == len(data) == 8 + 4 * 3


def test_samples_become_valid_ink_with_point_index_as_time(tmp_path: Path) -> None:
    write_pot(tmp_path / "a.pot", _samples(5))
    for s in iter_pot(tmp_path / "a.pot"):
        ink = s.to_ink()
        assert isinstance(ink, Ink) and ink.label == s.label
        t = np.concatenate([st[:, 2] for st in ink.strokes])
        assert np.array_equal(t, np.arange(len(t)))
        xy, sid = s.arrays()
        assert xy.shape == (len(t), 2) and sid[-1] == len(s.strokes) - 1


def test_folder_reads_every_pot_file_in_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write_pot(tmp_path / "b.pot", _samples(3, 1))
    write_pot(tmp_path / "sub" / "c.POT", _samples(2, 2))
    write_pot(tmp_path / "a.pot", _samples(4, 3))
    (tmp_path / "notes.txt").write_text("x")
    index = PotIndex([tmp_path])
    assert [f.name for f in index.files] == ["a.pot", "b.pot", "c.POT"]
    assert len(index) == 9 == len(list(iter_pot(tmp_path)))
    s = index.sample(5)
    assert s.path.endswith("b.pot")
    clone = pickle.loads(pickle.dumps(index))  # DataLoader workers get a copy
    assert np.array_equal(clone.sample(5).strokes[0], s.strokes[0])


def test_truncated_file_names_file_and_offset(tmp_path: Path) -> None:
    samples = _samples(3)
    sizes = [len(encode_sample(*s)) for s in samples]
    path = tmp_path / "cut.pot"
    write_pot(path, samples)
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with pytest.raises(DataError, match=rf"cut\.pot: byte {sizes[0] + sizes[1]}: truncated sample"):
        list(iter_pot(path))
    path.write_bytes(data[: sizes[0] + 3])
    with pytest.raises(DataError, match=rf"cut\.pot: byte {sizes[0]}: truncated sample header"):
        PotIndex([path])


def test_corrupt_samples_name_file_and_offset(tmp_path: Path) -> None:
    good = encode_sample("中", [np.array([[1, 2], [3, 4]]), np.array([[5, 6]])])
    path = tmp_path / "bad.pot"
    bad_size = bytearray(good)
    struct.pack_into("<H", bad_size, 0, 9)
    path.write_bytes(good + bytes(bad_size))
    with pytest.raises(DataError, match=rf"bad\.pot: byte {len(good)}: bad sample size 9"):
        list(iter_pot(path))
    bad_count = bytearray(good)
    struct.pack_into("<H", bad_count, 6, 1)
    path.write_bytes(bytes(bad_count))
    with pytest.raises(DataError, match=r"bad\.pot: byte 0: header says 1 strokes, found 2"):
        list(iter_pot(path))
    no_end = bytearray(good)
    struct.pack_into("<hh", no_end, len(good) - 4, 7, 7)
    path.write_bytes(bytes(no_end))
    with pytest.raises(DataError, match=r"bad\.pot: byte 0: .*does not end with"):
        list(iter_pot(path))
    bad_tag = bytearray(good)
    bad_tag[2:4] = bytes([0x20, 0xFF])
    path.write_bytes(bytes(bad_tag))
    with pytest.raises(DataError, match=r"bad\.pot: byte 0: tag 20ff0000 is not a GBK code"):
        list(iter_pot(path))


def test_missing_paths_and_bad_samples_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such POT file"):
        list(iter_pot(tmp_path / "none.pot"))
    with pytest.raises(DataError, match="holds no .pot file"):
        PotIndex([tmp_path])
    with pytest.raises(ValueError, match="not one GBK character"):
        encode_sample("中国", [np.array([[1, 2]])])
    with pytest.raises(ValueError, match="no strokes"):
        encode_sample("中", [])


def test_index_reads_headers_and_a_corrupt_sample_fails_when_read(tmp_path: Path) -> None:
    first = encode_sample("中", [np.array([[1, 2], [3, 4]])])
    bad = bytearray(encode_sample("国", [np.array([[5, 6]])]))
    struct.pack_into("<hh", bad, len(bad) - 4, 9, 9)  # no (-1, -1) at the end
    path = tmp_path / "w.pot"
    path.write_bytes(first + bytes(bad))
    index = PotIndex([path])
    assert len(index) == 2 and index.codes.tolist() == [ord("中"), ord("国")]
    assert index.arrays(0)[0].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(DataError, match=rf"w\.pot: byte {len(first)}: .*does not end with"):
        index.sample(1)
