"""Bundled files are found installed (xiezi_resources) or in the checkout (resources/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import engine.resources as res


def test_finds_the_bundled_charset() -> None:
    path = res.resource_path("charsets", "gb2312_level1.txt")
    assert path.is_file() and len(path.read_text(encoding="utf-8").strip()) == 3755
    assert res.resource_path(*res.DEFAULT_MODEL).name == "xiezi-gb1.xiezi"


def test_installed_package_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_loader("xiezi_resources", loader=None, is_package=True)
    assert spec is not None and spec.submodule_search_locations is not None
    spec.submodule_search_locations.append(str(tmp_path))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert res.resource_path("model", "x.xiezi") == tmp_path / "model" / "x.xiezi"


def test_checkout_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    root = Path(res.__file__).resolve().parent.parent / "resources"
    assert res.resource_path("charsets", "README.md") == root / "charsets" / "README.md"


@pytest.mark.parametrize("parts", [(), ("..", "x"), ("/etc/passwd",), ("",)])
def test_bad_parts(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        res.resource_path(*parts)
