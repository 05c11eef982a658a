"""Any settings file yields a running pad (issue 17): crafted and fuzzed files, bounded."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
)

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
    path.write_text('{"pad_size": 1e400, "ink_colour": "#0055aa", "language": "en", '
                    '"geometry": [1, 2, 99999999999, 3]}', encoding="utf-8")
    s, problems = read_settings(path)
    assert (s.pad_size, s.ink_colour, s.language, s.geometry) == (280, "#0055aa", "en", None)
    assert [p.split(":")[0] for p in problems] == ["pad_size", "geometry"]
    assert path.exists()  # the good values stay until the pad saves; the original is kept
    assert (tmp_path / "settings.json.bak").read_bytes() == path.read_bytes()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=5),
    max_leaves=20,
)
keys = st.sampled_from([f for f in Settings.__dataclass_fields__] + ["other"])
settings_objects = st.dictionaries(keys, json_values | st.lists(st.integers(), min_size=4,
                                                                 max_size=4), max_size=8)


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=settings_objects)
def test_fuzzed_objects_give_usable_settings(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # writes NaN / Infinity as JSON5 does
    s, _ = read_settings(path)
    assert_usable(s)


@settings(max_examples=200, deadline=1000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_fuzzed_bytes_give_usable_settings(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(raw)
    s, _ = read_settings(path)
    assert_usable(s)


@pytest.mark.gui
@pytest.mark.parametrize("name", ["huge float", "geometry beyond 32 bits", "deep nesting",
                                  "non-UTF-8 byte"])
def test_the_pad_starts_with_a_crafted_file_and_says_so(qtbot, tmp_path: Path, name) -> None:
    from ime.app import create

    path = tmp_path / "settings.json"
    path.write_bytes(CRAFTED[name])
    _app, window, _ = create(["--no-tray", "--settings", str(path), "--insert", "clipboard",
                             "--model", str(tmp_path / "none.xiezi")])
    qtbot.addWidget(window)
    window.show()
    assert "settings file" in window._notice and name not in window._notice
    assert (tmp_path / "settings.json.bak").read_bytes() == CRAFTED[name]
    window.controller.service.wait(5000)
