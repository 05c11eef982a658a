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
   map per stroke about its centroid (prior towards identity: SIGMA_T pixels, SIGMA_M for the linear part), minimising the mean
   squared f of the stroke's points; then each point moves SNAP of the way down the field
   (towards the centre of the ink);
5. accept the character when its fit is good (see ``accept``, judged before the snap): mean
   distance of its points to the ink, every stroke mostly on the ink, the glyph's ink mostly
   covered by the strokes, no two strokes fitted onto the same ink, every stroke's length
   within LENGTH_RATIO of its median's.

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
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from font_sources import FONTS, FontSource, GlyphSet, check_sha, fetch, unpack

EM = 1024.0
PX = 128  # glyph pixels per em
CANVAS = 192
ORIGIN = (32, 32 + 110)  # left-baseline anchor in the canvas

K = 12  # points per stroke during the fit (output: fewer for short strokes, see out_points)
SIGMA_T = 10.0  # px: per-stroke translation prior
SIGMA_M = 0.15  # per-stroke linear part prior (I + M)
GLOBAL_SIGMA_T = 30.0
GLOBAL_SIGMA_M = 0.2
BOX_SCALE = (0.8, 1.25)
F_MAX = 5.0  # px (beyond half a stroke width): the field is capped there, so ink farther away neither pulls nor pushes
SNAP = 0.5

# Acceptance (pixels of the PX-per-em bitmap; 1 px = 8 median units)
MAX_MEAN_DIST = 0.5  # mean distance of all points to the ink
MAX_OFF_FRAC = 0.34  # per stroke: fraction of points more than OFF_PX off the ink
OFF_PX = 2.0
MIN_COVER = 0.75  # fraction of the glyph's ink within reach of the fitted strokes
COLLAPSE_PX = 2.0  # two strokes whose fits lie within this of each other (mean, both ways) ...
APART_PX = 5.0  # ... but were at least this far apart as medians: fitted onto the same ink
LENGTH_RATIO = (0.7, 1.45)  # every stroke's fitted length / its median's (strokes >= 6 px)


# ----------------------------------------------------------------------------- inputs


def load_medians():
    sys.path.insert(0, str(ROOT))
    from trainer.data.templates import Templates

    return Templates(ROOT / "resources" / "templates" / "medians.npz")


def render(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    img = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(img).text(ORIGIN, ch, font=font, fill=255, anchor="ls")
    return np.asarray(img) >= 128


def bbox(ink: np.ndarray):
    ys, xs = np.nonzero(ink)
    return np.array([xs.min(), ys.min()], float), np.array([xs.max() + 1, ys.max() + 1], float)


# ----------------------------------------------------------------------------- fitting


def resample(p: np.ndarray, k: int) -> np.ndarray:
    p = np.asarray(p, np.float64)
    if len(p) == 1:
        p = np.repeat(p, 2, 0)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 1e-9:
        return np.repeat(p[:1], k, 0)
    t = np.linspace(0, s[-1], k)
    return np.stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])], 1)


class Field:
    """Cost field of one glyph bitmap and its gradient, sampled bilinearly at (x, y)."""

    def __init__(self, ink: np.ndarray) -> None:
        self.d_out = ndimage.distance_transform_edt(~ink)
        d_in = ndimage.distance_transform_edt(ink)
        ridge = ink & (d_in >= ndimage.maximum_filter(d_in, 3)) & (d_in > 0)
        self.half_width = float(np.median(d_in[ridge])) if ridge.any() else 2.0
        f = self.d_out + np.maximum(0.0, self.half_width - d_in)
        f = ndimage.gaussian_filter(np.minimum(f, self.half_width + F_MAX), 0.8)
        self.f = f
        self.gy, self.gx = np.gradient(f)
        self.ink = ink

    def sample(self, arr: np.ndarray, p: np.ndarray) -> np.ndarray:
        sh = p.shape[:-1]
        q = p.reshape(-1, 2)
        # pixel centres at integer + 0.5
        v = ndimage.map_coordinates(arr, [q[:, 1] - 0.5, q[:, 0] - 0.5], order=1, mode="nearest")
        return v.reshape(sh)


def apply(theta: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
    """theta (S,6) = m00 m01 m10 m11 tx ty; d (S,K,2) offsets from the centre c (S,1,2)."""
    m = theta[:, :4].reshape(-1, 2, 2) + np.eye(2)
    return c + np.einsum("sij,skj->ski", m, d) + theta[:, None, 4:]


def lm_fit(
    field: Field, pts: np.ndarray, sig_t: float, sig_m: float, iters: int = 20
) -> np.ndarray:
    """Per-group affine fit. pts (S,K,2) in pixels -> fitted (S,K,2)."""
    s_, k_ = pts.shape[:2]
    c = pts.mean(1, keepdims=True)
    d = pts - c
    lam = np.array([1 / sig_m**2] * 4 + [1 / sig_t**2] * 2)
    theta = np.zeros((s_, 6))
    mu = np.full(s_, 1e-2)

    def cost(th):
        q = apply(th, d, c)
        r = field.sample(field.f, q)
        return (r**2).mean(1) + (lam * th**2).sum(1), q, r

    cur, q, r = cost(theta)
    for _ in range(iters):
        gx = field.sample(field.gx, q)
        gy = field.sample(field.gy, q)
        dx, dy = d[..., 0], d[..., 1]
        jac = np.stack([gx * dx, gx * dy, gy * dx, gy * dy, gx, gy], -1)  # (S,K,6)
        h = np.einsum("ski,skj->sij", jac, jac) / k_ + np.eye(6) * lam
        g = np.einsum("ski,sk->si", jac, r) / k_ + lam * theta
        h = h + mu[:, None, None] * np.eye(6) * np.diagonal(h, axis1=1, axis2=2)[:, :, None]
        step = -np.linalg.solve(h, g[..., None])[..., 0]
        new, _, _ = cost(theta + step)
        ok = new < cur
        theta[ok] += step[ok]
        cur = np.where(ok, new, cur)
        mu = np.where(ok, mu * 0.3, mu * 10)
        q = apply(theta, d, c)
        r = field.sample(field.f, q)
    return apply(theta, d, c)


def snap(field: Field, q: np.ndarray, amount: float) -> np.ndarray:
    """Move every point `amount` of f along -grad f (Newton step to the field's zero), capped."""
    f = field.sample(field.f, q)
    g = np.stack([field.sample(field.gx, q), field.sample(field.gy, q)], -1)
    n2 = (g**2).sum(-1, keepdims=True)
    step = -(f[..., None] * g / np.maximum(n2, 1e-3)) * amount
    norm = np.linalg.norm(step, axis=-1, keepdims=True)
    step = step * np.minimum(1.0, field.half_width / np.maximum(norm, 1e-9))
    for _ in range(3):  # smooth the moves along the stroke, so the snap adds no zigzag
        step[:, 1:-1] = 0.25 * step[:, :-2] + 0.5 * step[:, 1:-1] + 0.25 * step[:, 2:]
    return q + step


def coverage(field: Field, strokes: np.ndarray) -> float:
    img = Image.new("L", field.ink.shape[::-1], 0)
    dr = ImageDraw.Draw(img)
    w = round(2 * field.half_width + 4)
    for s in strokes:
        dr.line([tuple(p) for p in s], fill=255, width=w, joint="curve")
        for p in (s[0], s[-1]):
            dr.ellipse([p[0] - w / 2, p[1] - w / 2, p[0] + w / 2, p[1] + w / 2], fill=255)
    cov = np.asarray(img) > 0
    return float((cov & field.ink).sum() / max(1, field.ink.sum()))


def _mutual(a: np.ndarray) -> np.ndarray:
    """(S,K,2) -> (S,S): max of the two mean nearest-point distances between strokes."""
    d = np.linalg.norm(a[:, None, :, None, :] - a[None, :, None, :, :], axis=-1)  # (S,S,K,K)
    m = d.min(3).mean(2)
    return np.maximum(m, m.T)


def collapsed(before: np.ndarray, after: np.ndarray) -> int:
    """Pairs of strokes that the fit put onto the same ink."""
    mb, ma = _mutual(before), _mutual(after)
    iu = np.triu_indices(len(before), 1)
    return int(((ma[iu] < COLLAPSE_PX) & (mb[iu] > APART_PX)).sum())


def fit_char(field: Field, med_px: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    pts = pts0 = np.stack([resample(s, K) for s in med_px])  # (S,K,2)
    # this character's box: the medians' bounding box onto the glyph's ink box less half a
    # stroke width on each side (per axis, scale limited to BOX_SCALE of the global map)
    lo, hi = bbox(field.ink)
    lo, hi = lo + field.half_width, hi - field.half_width
    flat = pts.reshape(-1, 2)
    mlo, mhi = flat.min(0), flat.max(0)
    sc = np.clip((hi - lo) / np.maximum(mhi - mlo, 1.0), *BOX_SCALE)
    sc = np.where(mhi - mlo >= 8.0, sc, 1.0)  # a flat character (一): keep that axis's scale
    pts = ((pts - (mlo + mhi) / 2) * sc + (lo + hi) / 2) if np.all(hi > lo) else pts
    allp = lm_fit(field, pts.reshape(1, -1, 2), GLOBAL_SIGMA_T, GLOBAL_SIGMA_M).reshape(pts.shape)
    fitted = lm_fit(field, allp, SIGMA_T, SIGMA_M)
    ln0 = np.linalg.norm(np.diff(pts, axis=1), axis=-1).sum(1)
    ln1 = np.linalg.norm(np.diff(fitted, axis=1), axis=-1).sum(1)
    ratio = np.where(ln0 >= 6.0, ln1 / np.maximum(ln0, 1e-9), 1.0)
    dist = field.sample(field.d_out, fitted)  # judged before the snap, which hides misfits
    stats = {
        "mean_dist": float(dist.mean()),
        "max_off_frac": float((dist > OFF_PX).mean(1).max()),
        "cover": coverage(field, fitted),
        "mean_move": float(np.linalg.norm(fitted - pts0, axis=-1).mean()),
        "collapsed": collapsed(allp, fitted),
        "length_ratio_min": float(ratio.min()),
        "length_ratio_max": float(ratio.max()),
    }
    return snap(field, fitted, SNAP), stats


def reasons(st: dict) -> list[str]:
    """The acceptance rules a fit fails (none: accepted)."""
    rules = {
        "mean distance": st["mean_dist"] <= MAX_MEAN_DIST,
        "stroke off the ink": st["max_off_frac"] <= MAX_OFF_FRAC,
        "ink not covered": st["cover"] >= MIN_COVER,
        "strokes on the same ink": st["collapsed"] == 0,
        "stroke length": LENGTH_RATIO[0] <= st["length_ratio_min"]
        and st["length_ratio_max"] <= LENGTH_RATIO[1],
    }
    return [name for name, ok in rules.items() if not ok]


def accept(st: dict) -> bool:
    return not reasons(st)


def out_points(s: np.ndarray) -> np.ndarray:
    """Resample a fitted stroke (median units) to 2..K points, about one per 48 units."""
    length = np.linalg.norm(np.diff(s, axis=0), axis=1).sum()
    n = int(np.clip(np.ceil(length / 48.0) + 1, 2, K))
    return resample(s, n)


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
    for i, (ch, ink, med, fit, st) in enumerate(items):
        ox, oy = (i % cols) * cell, (i // cols) * cell
        g = Image.fromarray(np.where(ink, 200, 255).astype(np.uint8)).convert("RGB")
        img.paste(g, (ox, oy))
        for strokes, col in ((med, (0, 0, 255)), (fit, (255, 0, 0))):
            for j, s in enumerate(strokes):
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
    print(f"{src.name}: GB2312 level 1: {len(charset)}; with template and glyph: {len(chars)}",
          file=sys.stderr)

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
    ap.add_argument("--font", choices=[*FONTS, "all"], default="all",
                    help="which font to regenerate (default: every one, each fetched)")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--package", "--deb", type=Path,
                     help="the downloaded package (.deb or npm .tgz) of the one --font")
    src.add_argument("--file", type=Path, nargs="+",
                     help="the font file(s) of the one --font (TTF/OTF/WOFF; every subset)")
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
