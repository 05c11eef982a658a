"""Any settings file yields a running pad (issue 17): crafted and fuzzed files, bounded; and
whatever is not a regular file is neither read nor moved nor written (issue 22)."""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from special_files import SPECIAL, snapshot, within

from ime import settings_file
from ime.settings import (
    AUTO_COMMIT,
    AUTO_COMMIT_MS,
    COORD,
    EXTENT,
    INSERT_MODES,
    LANGUAGE_CHOICES,
    PAD_SIZE,
    Settings,
    read_settings,
    read_settings_file,
    save_settings,
)
from ime.settings_file import NotRegularFile
from tests.support.pad_process import pad_args

#: The files of issue 17 that crashed the pad at every start.
CRAFTED = {
    "huge float": b'{"pad_size": 1e400}',
    "Infinity": b'{"auto_commit_ms": Infinity, "pad_size": -Infinity}',
    "NaN": b'{"pad_size": NaN}',
    "geometry beyond 32 bits": b'{"geometry": [0, 0, 4294967296, 4294967296]}',
    "geometry far off": b'{"geometry": [-99999999999, 5, 300, 300]}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep nesting in a value": b'{"pad_size": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "non-UTF-8 byte": b'{"language": "\xff"}',
    "a long integer": b'{"pad_size": ' + b"9" * 100_000 + b"}",
    "not an object": b"[1, 2]",
    "null": b"null",
    "empty": b"",
}


def assert_usable(s: Settings) -> None:
    """Every value in range, so the window can be built from it."""
    assert s.insert_mode in INSERT_MODES and s.auto_commit in AUTO_COMMIT
    assert s.language in LANGUAGE_CHOICES
    assert AUTO_COMMIT_MS[0] <= s.auto_commit_ms <= AUTO_COMMIT_MS[1]
    assert PAD_SIZE[0] <= s.pad_size <= PAD_SIZE[1]
    assert isinstance(s.pad_size, int) and isinstance(s.auto_commit_ms, int)
    if s.geometry is not None:
        x, y, w, h = s.geometry
        assert COORD[0] <= min(x, y) and max(x, y) <= COORD[1]
        assert EXTENT[0] <= min(w, h) and max(w, h) <= EXTENT[1]
    assert all(isinstance(p, int) for p in s.pauses_ms)


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_files_give_usable_settings_and_are_kept(tmp_path: Path, name: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(CRAFTED[name])
    tracemalloc.start()
    t0 = time.perf_counter()
    s, problems = read_settings(path)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert_usable(s)
    assert seconds < 2.0 and peak < 64 * 2**20
    if CRAFTED[name]:
        assert problems
        assert (tmp_path / "settings.json.bak").read_bytes() == CRAFTED[name]


def test_one_bad_value_keeps_the_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        '{"pad_size": 1e400, "ink_colour": "#0055aa", "language": "en", '
        '"geometry": [1, 2, 99999999999, 3]}',
        encoding="utf-8",
    )
    s, problems = read_settings(path)
    assert (s.pad_size, s.ink_colour, s.language, s.geometry) == (280, "#0055aa", "en", None)
    assert [p.split(":")[0] for p in problems] == ["pad_size", "geometry"]
    assert path.exists()  # the good values stay until the pad saves; the original is kept
    assert (tmp_path / "settings.json.bak").read_bytes() == path.read_bytes()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)
keys = st.sampled_from([f for f in Settings.__dataclass_fields__] + ["other"])
settings_objects = st.dictionaries(
    keys, json_values | st.lists(st.integers(), min_size=4, max_size=4), max_size=8
)


@settings(
    max_examples=300,
    deadline=1000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=settings_objects)
def test_fuzzed_objects_give_usable_settings(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # writes NaN / Infinity as JSON5 does
    s, _ = read_settings(path)
    assert_usable(s)


@settings(
    max_examples=200,
    deadline=1000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.binary(max_size=200))
def test_fuzzed_bytes_give_usable_settings(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(raw)
    s, _ = read_settings(path)
    assert_usable(s)


@pytest.mark.gui
@pytest.mark.parametrize(
    "name", ["huge float", "geometry beyond 32 bits", "deep nesting", "non-UTF-8 byte"]
)
def test_the_pad_starts_with_a_crafted_file_and_says_so(qtbot, tmp_path: Path, name) -> None:
    from ime.app import create

    path = tmp_path / "settings.json"
    path.write_bytes(CRAFTED[name])
    _app, window, _ = create(pad_args(path, tmp_path / "none.xiezi"))
    qtbot.addWidget(window)
    window.show()
    assert "settings file" in window._notice and name not in window._notice
    assert (tmp_path / "settings.json.bak").read_bytes() == CRAFTED[name]
    window.controller.service.wait(5000)


# ---------------------------------------------------------------- issue 22: not settings files
@pytest.mark.parametrize("name", list(SPECIAL))
def test_what_is_not_a_regular_file_gives_defaults_and_is_left_alone(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "settings.json"
    SPECIAL[name](path)
    before = snapshot(tmp_path)
    fifo = path if stat.S_ISFIFO(os.stat(path).st_mode) else None
    r = within(1.0, read_settings_file, path, fifo=fifo)
    assert r.settings == Settings() and r.outcome == "not_regular"
    assert r.problems and "not a regular file" in r.problems[0] and r.keep_out
    assert r.backup is None
    with pytest.raises(NotRegularFile, match="not a regular file"):
        within(1.0, save_settings, Settings(pad_size=300), path, fifo=fifo)
    assert snapshot(tmp_path) == before  # nothing renamed, written, truncated; no .bak


def test_a_fifo_swapped_in_after_the_stat_is_not_waited_on(tmp_path: Path, monkeypatch) -> None:
    """The open itself cannot block (O_NONBLOCK): the check before it is not enough alone."""
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    regular = tmp_path / "regular"
    regular.write_text("{}")
    real_stat = os.stat
    monkeypatch.setattr(
        os, "stat", lambda p, *a, **k: real_stat(regular if Path(p) == path else p, *a, **k)
    )
    before = snapshot(tmp_path)
    r = within(1.0, read_settings_file, path, fifo=path)
    monkeypatch.undo()
    assert r.outcome == "not_regular" and r.kind == "fifo" and r.keep_out
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "error",
    [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EIO, "Input/output error")],
)
@pytest.mark.parametrize("content", [b'{"pad_size": 300}', b"{corrupt"])
def test_a_file_that_cannot_be_read_is_kept_and_never_saved_over(
    tmp_path: Path, monkeypatch, error: OSError, content: bytes
) -> None:
    """Issue 22: it gave defaults and the next save overwrote the user's settings."""
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    before = snapshot(tmp_path)
    real_open = os.open

    def failing_open(p, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(p) == path and isinstance(error, PermissionError):
            raise error
        return real_open(p, *args, **kwargs)

    def failing_read(fd: int, n: int) -> bytes:
        raise error

    with monkeypatch.context() as m:
        m.setattr(os, "open", failing_open)
        if not isinstance(error, PermissionError):
            m.setattr(os, "read", failing_read)
        r = within(1.0, read_settings_file, path)
    assert r.settings == Settings() and r.outcome == "unreadable"
    assert r.error == error.strerror and r.keep_out and str(path) in r.problems[0]
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file"
)
def test_a_chmod_000_file_is_unreadable_for_real(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"pad_size": 300}')
    path.chmod(0)
    before = snapshot(tmp_path)
    r = read_settings_file(path)
    assert r.outcome == "unreadable" and r.keep_out and snapshot(tmp_path) == before


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="Linux /proc")
def test_a_real_read_error_through_a_link_is_kept(tmp_path: Path) -> None:
    """A real EIO even as root: /proc/self/mem is a regular file whose read at 0 fails."""
    path = tmp_path / "settings.json"
    path.symlink_to("/proc/self/mem")
    before = snapshot(tmp_path)
    r = within(1.0, read_settings_file, path)
    assert r.outcome == "unreadable" and r.keep_out and r.error == os.strerror(errno.EIO)
    assert snapshot(tmp_path) == before


def _refuse_replace(src, dst):  # type: ignore[no-untyped-def]
    raise OSError(errno.EROFS, "Read-only file system", str(src), None, str(dst))


def _refuse_write(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise OSError(errno.EROFS, "Read-only file system")


@pytest.mark.parametrize("content", [b"{corrupt", b'{"pad_size": 1e400}'])
def test_in_a_read_only_folder_the_log_says_what_happened(
    tmp_path: Path, monkeypatch, caplog, content: bytes
) -> None:
    """Issue 22: the log said "kept it as ... .bak" right after saying it could not."""
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "replace", _refuse_replace)
    monkeypatch.setattr(settings_file, "atomic_open", _refuse_write)
    with caplog.at_level(logging.WARNING, logger="ime.settings"):
        r = read_settings_file(path)
    monkeypatch.undo()
    assert r.backup is None and r.error is not None and "Read-only" in r.error and r.keep_out
    assert "could not keep it" in caplog.text and "left as it is" in caplog.text
    assert "moved it" not in caplog.text and "copied it" not in caplog.text
    assert "kept it as" not in caplog.text
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into a read-only folder"
)
def test_a_read_only_folder_for_real(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "settings.json").write_bytes(b"{corrupt")
    folder.chmod(0o555)
    try:
        before = snapshot(folder)
        r = read_settings_file(folder / "settings.json")
        assert r.outcome == "corrupt" and r.backup is None and r.keep_out
        assert snapshot(folder) == before
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("content", [b"{corrupt", b'{"pad_size": 1e400}'])
@pytest.mark.parametrize("bak", ["folder", "fifo", "symlink"])
def test_a_bak_that_is_not_a_regular_file_is_not_replaced(
    tmp_path: Path, content: bytes, bak: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    victim = tmp_path / "victim"
    victim.write_text("not yours")
    bak_path = tmp_path / "settings.json.bak"
    {
        "folder": bak_path.mkdir,
        "fifo": lambda: os.mkfifo(bak_path),
        "symlink": lambda: bak_path.symlink_to(victim),
    }[bak]()
    before = snapshot(tmp_path)
    r = within(1.0, read_settings_file, path, fifo=bak_path if bak == "fifo" else None)
    assert r.backup is None and r.error and "not a regular file" in r.error and r.keep_out
    assert snapshot(tmp_path) == before and victim.read_text() == "not yours"


def test_a_corrupt_regular_file_is_still_moved_and_the_log_says_so(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"{corrupt")
    with caplog.at_level(logging.WARNING, logger="ime.settings"):
        r = read_settings_file(path)
    assert r.outcome == "corrupt" and r.backup == tmp_path / "settings.json.bak"
    assert r.error is None and r.keep_out is None  # the pad may save its settings there
    assert f"moved it to {r.backup}" in caplog.text and not path.exists()
    assert r.backup.read_bytes() == b"{corrupt"
