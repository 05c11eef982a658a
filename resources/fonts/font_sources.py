"""The fonts that resources/fonts/regenerate.py registers the medians onto: where each comes
from (package registry, pinned version and sha256) and how its glyphs are found.

Two kinds of package:

- Debian (``apt-get download``): one TTF inside the .deb (LXGW WenKai).
- npm, @fontsource (``npm pack``): the font split into ~100 WOFF files by unicode-range, one
  per subset; every subset whose cmap holds a character is searched in file-name order and the
  first one draws it. The WOFF (zlib) files are read, not the WOFF2 ones, so neither Pillow nor
  fontTools needs brotli.
"""

from __future__ import annotations

import glob
import hashlib
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont


@dataclass(frozen=True)
class FontSource:
    """One font and the templates file registered onto it.

    Attributes:
        name: the shape source's name (``resources/fonts/<name>.npz``, a key of
            ``trainer.data.templates.SHAPE_SOURCES``); no reserved font name.
        registry: "debian" (``apt-get download``) or "npm" (``npm pack``).
        package: the package's name in that registry.
        version: the pinned package version.
        sha256: of the pinned package file (.deb or .tgz).
        files: glob of the font file(s) inside the unpacked package.
        file_sha256: of the font file itself, when there is one file ("" for subsets).
        label: the ``version`` string written into the npz.
    """

    name: str
    registry: str
    package: str
    version: str
    sha256: str
    files: str
    file_sha256: str
    label: str


FONTS: dict[str, FontSource] = {
    s.name: s
    for s in (
        FontSource(
            name="wenkai",
            registry="debian",
            package="fonts-lxgw-wenkai",
            version="1.250+repack-1",
            sha256="6d1e4c4aac78ad32062aefa2c836ee4d6e58f9dcf8b3f4407c9eefe304615318",
            files="**/LXGWWenKai-Regular.ttf",
            file_sha256="bbf534b0ca093928f94d1782855e65a19a32cde82b075d495d072025521953c8",
            label=(
                "fonts-lxgw-wenkai LXGWWenKai-Regular.ttf + hanzi-writer-data medians (registered)"
            ),
        ),
        FontSource(
            name="mashanzheng",
            registry="npm",
            package="@fontsource/ma-shan-zheng",
            version="5.3.1",
            sha256="f441a8e137c210da78e8a287616227b11771ff8bbc4a6e506a0f5f84790ca272",
            files="package/files/ma-shan-zheng-*-400-normal.woff",
            file_sha256="",
            label="@fontsource/ma-shan-zheng 5.3.1 woff + hanzi-writer-data medians (registered)",
        ),
        FontSource(
            name="longcang",
            registry="npm",
            package="@fontsource/long-cang",
            version="5.3.0",
            sha256="f37d7fc6e0ed15718e03fe9edd5f8b0117d6d011d23c15bf2d35b7b00f9c4e26",
            files="package/files/long-cang-*-400-normal.woff",
            file_sha256="",
            label="@fontsource/long-cang 5.3.0 woff + hanzi-writer-data medians (registered)",
        ),
    )
}


def check_sha(path: Path, want: str) -> None:
    """Warn (do not fail) when a file is not the one the committed npz was built from."""
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if got != want:
        print(
            f"warning: {path.name} sha256 {got} is not the pinned {want}; the output will differ",
            file=sys.stderr,
        )


def fetch(src: FontSource, dest: Path) -> Path:
    """Download the pinned package into ``dest``; returns the .deb or .tgz."""
    if src.registry == "debian":
        subprocess.run(
            ["apt-get", "download", f"{src.package}={src.version}"], cwd=dest, check=True
        )
        pattern = f"{src.package}_*.deb"
    else:
        subprocess.run(["npm", "pack", f"{src.package}@{src.version}"], cwd=dest, check=True)
        pattern = src.package.lstrip("@").replace("/", "-") + "-*.tgz"
    hits = sorted(dest.glob(pattern))
    if not hits:
        raise SystemExit(f"{src.registry}: downloading {src.package} gave no {pattern}")
    return hits[-1]


def unpack(src: FontSource, package: Path, dest: Path) -> list[Path]:
    """The font file(s) of a downloaded package (sha256 checked), unpacked under ``dest``."""
    check_sha(package, src.sha256)
    out = dest / "x"
    if package.suffix == ".deb":
        subprocess.run(["dpkg-deb", "-x", str(package), str(out)], check=True)
    else:
        with tarfile.open(package) as t:
            t.extractall(out, filter="data")
    hits = sorted(Path(p) for p in glob.glob(str(out / src.files), recursive=True))
    if not hits:
        raise SystemExit(f"no {src.files} in {package}")
    return hits[:1] if src.file_sha256 else hits


class GlyphSet:
    """The font file(s) of one font at ``px`` pixels per em: which characters it maps and the
    Pillow font that draws each (the first file, in name order, whose cmap holds it)."""

    def __init__(self, files: list[Path], px: int) -> None:
        from fontTools.ttLib import TTFont

        self._file_of: dict[int, int] = {}
        for i, f in enumerate(files):
            for cp in TTFont(str(f), lazy=True).getBestCmap():
                self._file_of.setdefault(cp, i)
        self._files = files
        self._px = px
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}
        self.cmap = set(self._file_of)

    def font(self, ch: str) -> ImageFont.FreeTypeFont:
        i = self._file_of[ord(ch)]
        if i not in self._fonts:
            self._fonts[i] = ImageFont.truetype(str(self._files[i]), self._px)
        return self._fonts[i]
