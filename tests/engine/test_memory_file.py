"""The user memory's file: atomic 0600 saves, strict reading, damaged ones kept (issue 28)."""

from __future__ import annotations

import io
import os
import stat
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.ink import Ink
from engine.memory import DEFAULT_FILE_NAME, MemoryFileError, UserMemory
from engine.memory_file import MAX_FILE_BYTES
from tests.engine.test_memory import SHA, near, rand
from tests.support.engine_fixtures import sample_ink


def filled(n: int = 5) -> UserMemory:
    mem = UserMemory(SHA)
    for i in range(n):
        mem.learn("日月田中国"[i % 5], rand(i), sample_ink(i, label="日"), rank=1)
    mem.learn_text("日月田中国")
    return mem


def test_save_then_open_gives_the_same_memory(tmp_path: Path) -> None:
    mem = filled()
    path = tmp_path / DEFAULT_FILE_NAME
    mem.save(path)
    back, notice = UserMemory.open(path, SHA)
    assert notice is None
    assert len(back) == len(mem) == 5 and back.characters() == 5
    assert back.words.to_dict() == mem.words.to_dict()
    probe = near(rand(2), 0.98, 7)[None]
    a, b = mem.bonus(probe, "日月田中国"), back.bonus(probe, "日月田中国")
    assert a is not None and b is not None and np.allclose(a, b, atol=0.05)  # float16 on disk
    assert [i is not None for i in back._inks] == [True] * 5
    first = back._inks[0]
    assert isinstance(first, Ink) and first.num_points == sample_ink(0).num_points


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_file_is_private_and_alone(tmp_path: Path) -> None:
    path = tmp_path / "sub" / DEFAULT_FILE_NAME
    filled().save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == [DEFAULT_FILE_NAME]  # no temporary left behind


def test_a_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / DEFAULT_FILE_NAME
    filled(2).save(path)
    before = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(OSError):
        filled(5).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [DEFAULT_FILE_NAME]


def test_the_file_stays_bounded(tmp_path: Path) -> None:
    mem = UserMemory(SHA)
    ink = sample_ink(0, strokes=20, points=200)
    for i in range(4000):
        mem.learn("日月田中国人大"[i % 7], rand(i), ink, rank=1)
    assert len(mem) <= mem.config.per_char * 7
    mem.save(tmp_path / "m.npz")
    assert (tmp_path / "m.npz").stat().st_size < MAX_FILE_BYTES


def test_a_missing_file_is_a_fresh_memory_without_notice(tmp_path: Path) -> None:
    mem, notice = UserMemory.open(tmp_path / "none.npz", SHA)
    assert len(mem) == 0 and notice is None
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError):
        UserMemory.read(tmp_path / "none.npz", SHA)


def _npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in arrays.items():
            with z.open(f"{k}.npy", "w") as m:
                np.lib.format.write_array(m, v, allow_pickle=True)
    return buf.getvalue()


def _valid(tmp_path: Path) -> bytes:
    path = tmp_path / "valid.npz"
    filled().save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def _with_header(data: bytes, old: bytes, new: bytes) -> bytes:
    m = _members(data)
    raw = np.lib.format.read_array(io.BytesIO(m["header.npy"])).tobytes().replace(old, new)
    out = io.BytesIO()
    np.lib.format.write_array(out, np.frombuffer(raw, np.uint8))
    m["header.npy"] = out.getvalue()
    return _rezip(m)


DAMAGES = {
    "garbage": lambda v: b"not a memory at all",
    "empty": lambda v: b"",
    "truncated": lambda v: v[: len(v) // 2],
    "flipped": lambda v: v[:200] + bytes([v[200] ^ 0xFF]) + v[201:],
    "foreign zip": lambda v: _npz(weights=np.zeros(3)),
    "pickled": lambda v: _npz(header=np.array([{"a": 1}], dtype=object)),
    "missing member": lambda v: _rezip({k: b for k, b in _members(v).items() if "time" not in k}),
    "other format": lambda v: _with_header(v, b'"xiezi-memory"', b'"xiezi-lm"'),
    "future version": lambda v: _with_header(v, b'"version":1', b'"version":9'),
    "bad char": lambda v: _with_header(v, b'"chars":["', b'"chars":["xx'),
    "deep json": lambda v: _with_header(
        v, b'"words":', b'"deep":' + b"[" * 100 + b"]" * 100 + b',"words":'
    ),
    "bad words": lambda v: _with_header(v, b'"chars":{"', b'"chars":{"x'),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_file_is_kept_aside_and_a_fresh_memory_started(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    bad = DAMAGES[damage](_valid(tmp_path))
    path = tmp_path / DEFAULT_FILE_NAME
    path.write_bytes(bad)
    with pytest.raises(MemoryFileError):
        UserMemory.read(path, SHA)
    assert path.read_bytes() == bad  # read() leaves it alone
    mem, notice = UserMemory.open(path, SHA)
    assert len(mem) == 0 and len(mem.words) == 0
    assert notice is not None and "could not be read" in notice and ".damaged" in notice
    assert not path.exists()
    assert (tmp_path / (DEFAULT_FILE_NAME + ".damaged")).read_bytes() == bad  # kept, not deleted
    mem.save(path)  # the fresh one can be saved where the bad one was
    assert UserMemory.open(path, SHA)[1] is None


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_FILE_NAME
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    mem, notice = UserMemory.open(path, SHA)
    assert len(mem) == 0 and notice is not None and "MiB" in notice
    assert (tmp_path / (DEFAULT_FILE_NAME + ".damaged")).exists()


def test_a_folder_in_its_place_is_reported(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_FILE_NAME
    path.mkdir()
    mem, notice = UserMemory.open(path, SHA)
    assert len(mem) == 0 and notice is not None


def test_a_model_change_re_embeds_the_stored_inks(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_FILE_NAME
    filled().save(path)
    seen: list[int] = []

    def embed(inks: object) -> np.ndarray:
        assert isinstance(inks, list) and all(isinstance(i, Ink) for i in inks)
        seen.append(len(inks))
        return np.stack([rand(100 + i) * 3.0 for i in range(len(inks))])

    mem, notice = UserMemory.open(path, "cd" * 32, embed=embed)
    assert seen == [5] and len(mem) == 5 and mem.model_sha256 == "cd" * 32
    assert notice is not None and "model changed" in notice and "read again" in notice
    assert np.allclose(np.linalg.norm(mem._emb, axis=1), 1.0, atol=1e-5)
    b = mem.bonus(rand(100)[None], "日月田中国")
    assert b is not None and b[0, 0] > 5.0  # the new embedding is the one remembered
    assert len(mem.words) == 5


def test_a_model_change_without_embed_starts_over_keeping_words(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_FILE_NAME
    filled().save(path)
    old = path.read_bytes()
    mem, notice = UserMemory.open(path, "cd" * 32)
    assert len(mem) == 0 and len(mem.words) == 5
    assert notice is not None and "starts over" in notice
    assert (tmp_path / (DEFAULT_FILE_NAME + ".old-model")).read_bytes() == old


def test_a_failing_embed_starts_over(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_FILE_NAME
    filled().save(path)

    def embed(inks: object) -> np.ndarray:
        return np.zeros((1, 3), np.float32)  # wrong count

    mem, notice = UserMemory.open(path, "cd" * 32, embed=embed)
    assert len(mem) == 0 and notice is not None and "starts over" in notice
