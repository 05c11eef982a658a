"""Rebuild the font stroke templates: Make Me a Hanzi medians registered onto fonts' glyphs.

Usage::

    python resources/fonts/regenerate.py                    # every font of font_sources.FONTS
    python resources/fonts/regenerate.py --font wenkai      # apt-get download fonts-lxgw-wenkai
    python resources/fonts/regenerate.py --font mashanzheng # npm pack @fontsource/ma-shan-zheng
    python resources/fonts/regenerate.py --font wenkai --package fonts-lxgw-wenkai_1.250+repack-1_all.deb
    python resources/fonts/regenerate.py --font wenkai --file LXGWWenKai-Regular.ttf
    python resources/fonts/regenerate.py --font longcang --limit 200 --overlay /tmp/overlay.png

Each font (font_sources.FONTS: a Debian package or an npm @fontsource package, pinned by version
and sha256, OFL-1.1) gives each character's SHAPE; the medians
(resources/templates/medians.npz) give the strokes, their order and direction. For every
character of GB2312 level 1 (resources/charsets/gb2312_level1.txt) that the font maps and that
has a median template:

1. render the glyph (Pillow) to a binary bitmap, ``PX`` pixels per em;
2. one global box map per axis (scale, shift) from font pixels to the medians' 1024 box,
   fitted on the ink bounding boxes of all such characters (median of the per-character
   estimates); the medians are mapped into glyph pixels with its inverse;
3. a cost field on the bitmap: ``f = dist_to_ink + max(0, W - depth)`` (two Euclidean distance
   transforms; W = typical half stroke width of the glyph), i.e. 0 on the ink's centre band and
   growing outside, capped at W + F_MAX (far ink neither pulls nor pushes), smoothed a little;
4. every stroke resampled to K points; the character's median bounding box put onto the
   glyph's ink box less W per side (scale per axis within BOX_SCALE); a Levenberg-Marquardt
   (Gauss-Newton) fit of one affine map for the whole character (weak prior), then one affine
   map per stroke about its centroid (prior towards identity: SIGMA_T pixels, SIGMA_M for the
   linear part), minimising the mean squared f of the stroke's points; then each point moves SNAP of the way down the field
   (towards the centre of the ink);
5. accept the character when its fit is good (see ``accept``, judged before the snap): mean
   distance of its points to the ink, every stroke mostly on the ink, the glyph's ink mostly
   covered by the strokes, no two strokes fitted onto the same ink, every stroke's length
   within LENGTH_RATIO of its median's.

Steps 3-5 and their constants (K, SIGMA_T, ..., LENGTH_RATIO) are in ``registration.py``;
this script renders, maps the boxes, writes the file and draws the overlay.

Stroke order and direction are the medians' (each stroke is mapped by its own near-identity
affine map), so the synthesizer can use the file like medians.npz.

Output (no pickle), exactly the layout of resources/templates/medians.npz
(``trainer.data.templates.Templates`` reads it unchanged). For C characters, S strokes, P points:
    codepoints     uint32 (C,)    sorted by code point
    stroke_offsets int32 (C+1,)
    point_offsets  int32 (S+1,)
    points         int16 (P, 2)   x, y_down in the 1024 box, clipped to [0, 1024]
    version        str
Needs numpy, scipy, Pillow (and fontTools for the cmap).
"""  # noqa: E501 (command lines)

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from font_sources import FONTS, FontSource, GlyphSet, check_sha, fetch, unpack
from registration import Field, accept, bbox, fit_char, out_points, reasons

EM = 1024.0
PX = 128  # glyph pixels per em
CANVAS = 192
ORIGIN = (32, 32 + 110)  # left-baseline anchor in the canvas


# ----------------------------------------------------------------------------- inputs


def load_medians():
    sys.path.insert(0, str(ROOT))
    from trainer.data.templates import Templates

    return Templates(ROOT / "resources" / "templates" / "medians.npz")


def render(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    img = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(img).text(ORIGIN, ch, font=font, fill=255, anchor="ls")
    return np.asarray(img) >= 128


# ----------------------------------------------------------------------------- main


def box_map(glyphs: GlyphSet, chars, tpl):
    """Per-axis scale a and shift b with median = a * px + b (from bounding boxes)."""
    a_s, b_s = [], []
    for ch in chars:
        ink = render(glyphs.font(ch), ch)
        if not ink.any():
            continue
        lo, hi = bbox(ink)
        p = np.concatenate(tpl.strokes(ch)) * EM
        mlo, mhi = p.min(0), p.max(0)
        a = (mhi - mlo) / np.maximum(hi - lo, 1)
        a_s.append(a)
        b_s.append(((mlo + mhi) / 2, (lo + hi) / 2))
    a = np.median(np.array(a_s), 0)
    b = np.median(np.array([mc - a * gc for mc, gc in b_s]), 0)
    return a, b


def write_npz(path: Path, result: dict[str, list[np.ndarray]], version: str) -> None:
    from trainer.data.templates import pack_templates  # ROOT is on sys.path (load_medians)

    np.savez_compressed(path, **pack_templates(result, version))


def overlay(path: str, items) -> None:
    cell = 192
    cols = 4
    rows = (len(items) + cols - 1) // cols
    img = Image.new("RGB", (cols * cell, rows * cell), "white")
    dr = ImageDraw.Draw(img)
    for i, (_ch, ink, med, fit, st) in enumerate(items):
        ox, oy = (i % cols) * cell, (i // cols) * cell
        g = Image.fromarray(np.where(ink, 200, 255).astype(np.uint8)).convert("RGB")
        img.paste(g, (ox, oy))
        for strokes, col in ((med, (0, 0, 255)), (fit, (255, 0, 0))):
            for _j, s in enumerate(strokes):
                dr.line([(ox + x, oy + y) for x, y in s], fill=col, width=1)
                dr.ellipse(
                    [ox + s[0][0] - 2, oy + s[0][1] - 2, ox + s[0][0] + 2, oy + s[0][1] + 2],
                    fill=col,
                )
        dr.text(
            (ox + 2, oy + 2),
            f"{'OK' if accept(st) else 'REJ'} d{st['mean_dist']:.2f} c{st['cover']:.2f}",
            fill=(0, 128, 0),
        )
    img.save(path)


def font_files(src: FontSource, args: argparse.Namespace, tmp: Path) -> list[Path]:
    """The font file(s) of ``src``: given (--file), from a given package (--package), or fetched."""
    if args.file:
        files = sorted(args.file) if isinstance(args.file, list) else [args.file]
    else:
        files = unpack(src, args.package or fetch(src, tmp), tmp)
    if src.file_sha256:
        check_sha(files[0], src.file_sha256)
    return files


def regenerate(src: FontSource, files: list[Path], args: argparse.Namespace) -> int:
    """Fit the medians onto one font's glyphs and write its npz; prints the counts."""
    t0 = time.perf_counter()
    glyphs = GlyphSet(files, PX)
    tpl = load_medians()
    charset = (ROOT / "resources" / "charsets" / "gb2312_level1.txt").read_text(encoding="utf-8")
    charset = [c for c in charset if not c.isspace()]
    chars = [c for c in charset if c in tpl and ord(c) in glyphs.cmap]
    if args.limit:
        chars = chars[: args.limit]
    print(
        f"{src.name}: GB2312 level 1: {len(charset)}; with template and glyph: {len(chars)}",
        file=sys.stderr,
    )

    a, b = box_map(glyphs, chars, tpl)
    if args.show and args.only_show:
        chars = [c for c in chars if c in args.show]
    print(f"box map: median = {a} * px + {b}", file=sys.stderr)

    result, stats, shown = {}, [], []
    for i, ch in enumerate(chars):
        ink = render(glyphs.font(ch), ch)
        if not ink.any():
            continue
        field = Field(ink)
        med_px = [(np.asarray(s, np.float64) * EM - b) / a for s in tpl.strokes(ch)]
        fitted, st = fit_char(field, med_px)
        st["char"] = ch
        stats.append(st)
        ok = accept(st)
        if ok:
            result[ch] = [out_points(s * a + b) for s in fitted]
        pick = (ch in args.show) if args.show else (i % max(1, len(chars) // 16) == 0)
        if args.overlay and pick and len(shown) < 16:
            shown.append((ch, ink, med_px, fitted, st))
        if i % 500 == 0:
            print(f"{i}/{len(chars)} accepted {len(result)}", file=sys.stderr)
    out = args.out or HERE / f"{src.name}.npz"
    write_npz(out, result, src.label)
    md = np.array([s["mean_dist"] for s in stats])
    why = Counter(r for s in stats for r in reasons(s))
    print(
        f"{src.name}: covered {len(chars)}, fitted {len(stats)}, accepted {len(result)} "
        f"({sum(len(v) for v in result.values())} strokes) -> {out}; rejections: "
        f"{dict(why.most_common())}; mean_dist pct 50/90/99 "
        f"{np.percentile(md, [50, 90, 99]).round(3).tolist()}; "
        f"{time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    if args.stats:
        with args.stats.open("w") as f:
            f.write(
                "char\tmean_dist\tmax_off_frac\tcover\tmean_move\tcollapsed\tlr_min\tlr_max\taccepted\n"
            )
            for s in stats:
                f.write(
                    f"{s['char']}\t{s['mean_dist']:.3f}\t{s['max_off_frac']:.3f}\t{s['cover']:.3f}\t{s['mean_move']:.2f}\t{s['collapsed']}\t{s['length_ratio_min']:.3f}\t{s['length_ratio_max']:.3f}\t{int(accept(s))}\n"
                )
    if args.overlay:
        overlay(args.overlay, shown)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--font",
        choices=[*FONTS, "all"],
        default="all",
        help="which font to regenerate (default: every one, each fetched)",
    )
    src = ap.add_mutually_exclusive_group()
    src.add_argument(
        "--package",
        "--deb",
        type=Path,
        help="the downloaded package (.deb or npm .tgz) of the one --font",
    )
    src.add_argument(
        "--file",
        type=Path,
        nargs="+",
        help="the font file(s) of the one --font (TTF/OTF/WOFF; every subset)",
    )
    ap.add_argument("--out", type=Path, help="default resources/fonts/<font>.npz")
    ap.add_argument("--limit", type=int, default=0, help="only the first N characters (testing)")
    ap.add_argument("--overlay", help="write a PNG of some fits here")
    ap.add_argument("--show", default="", help="characters for the overlay (default: a spread)")
    ap.add_argument("--only-show", action="store_true", help="fit only the --show characters")
    ap.add_argument("--stats", type=Path, help="write per-character fit statistics (TSV)")
    args = ap.parse_args(argv)
    names = list(FONTS) if args.font == "all" else [args.font]
    if len(names) > 1 and (args.package or args.file or args.out or args.overlay or args.stats):
        ap.error("--package, --file, --out, --overlay and --stats need one --font")
    for name in names:
        tmp = Path(tempfile.mkdtemp())
        regenerate(FONTS[name], font_files(FONTS[name], args, tmp), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
