"""Issue 22: files written atomically get the permissions a plain ``open()`` would give them.

mkstemp left build.json, report.md and packages 0600: a report shared with a group, or a
package copied for another user, could not be read. A new file now follows the umask, a
replaced file keeps its mode, and a caller may ask for a mode (a private file: 0o600).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.atomic import atomic_open, atomic_write_text

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(saved)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o000])
def test_a_new_file_follows_the_umask(tmp_path: Path, umask: None, mask: int) -> None:
    os.umask(mask)
    atomic_write_text(tmp_path / "report.md", "# report\n")
    with atomic_open(tmp_path / "model.xiezi", "wb") as f:
        f.write(b"zip")
    assert mode(tmp_path / "report.md") == 0o666 & ~mask
    assert mode(tmp_path / "model.xiezi") == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.xiezi", "report.md"]


@pytest.mark.parametrize("old", [0o640, 0o600, 0o664, 0o444])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask: None, old: int) -> None:
    target = tmp_path / "build.json"
    target.write_text("{}")
    target.chmod(old)
    atomic_write_text(target, '{"stage": 2}')
    assert mode(target) == old and target.read_text() == '{"stage": 2}'


def test_permissions_asked_for_are_given_exactly(tmp_path: Path, umask: None) -> None:
    os.umask(0)
    new, old = tmp_path / "settings.json", tmp_path / "shared.json"
    old.write_text("{}")
    old.chmod(0o644)
    for target in (new, old):
        atomic_write_text(target, "{}", permissions=0o600)
        assert mode(target) == 0o600
    with pytest.raises(ValueError, match="permissions"):
        atomic_write_text(new, "{}", permissions=0o4755)


def test_the_temporary_file_is_never_wider_than_the_file_it_replaces(
    tmp_path: Path, umask: None
) -> None:
    os.umask(0)  # a new file would be 0666
    target = tmp_path / "private.json"
    target.write_text("secret")
    target.chmod(0o600)
    with atomic_open(target, "w", encoding="utf-8") as f:
        (tmp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert mode(tmp) == 0o600
        f.write("still secret")
    assert mode(target) == 0o600


def test_a_package_is_written_with_the_usual_permissions(tmp_path: Path, umask: None) -> None:
    from tests.support.engine_fixtures import build_package

    path = tmp_path / "tiny.xiezi"
    build_package(path)
    assert mode(path) == 0o644
