"""Contact sheet of synthesized characters, to judge by eye how real the synthesizer looks.

Each row is one character: its stroke template first, then one cell per writer (a writer
keeps its style along its column). Pen-down strokes are coloured along the path from dark to
light (the pen's direction and speed show as the spacing of the dots), each stroke's start
carries its number, and pen-up moves between strokes are grey dashed lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainer.data.synth import SynthConfig, sample_writer, synthesize
from trainer.data.templates import load_templates

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreviewConfig:
    """What the sheet shows.

    Attributes:
        chars: the characters, one row each.
        writers: synthesized writers, one column each (after the template column).
        seed: seed of the writers and of their handwriting.
        cell_inches: side of one cell.
        dpi: resolution of the PNG.
        synth: the synthesizer's settings.
    """

    chars: str = "永中国我的"
    writers: int = 6
    seed: int = 0
    cell_inches: float = 1.8
    dpi: int = 90
    synth: SynthConfig = field(default_factory=SynthConfig)

    def __post_init__(self) -> None:
        if not self.chars:
            raise ValueError("chars must hold at least one character")
        if not 1 <= self.writers <= 50:
            raise ValueError(f"writers must be in 1..50, got {self.writers}")


def _draw(ax, xy: np.ndarray, sid: np.ndarray, title: str) -> None:  # type: ignore[no-untyped-def]
    from matplotlib import cm
    from matplotlib.collections import LineCollection

    n = len(xy)
    down = sid[1:] == sid[:-1]
    segs = np.stack([xy[:-1], xy[1:]], axis=1)
    colours = cm.viridis(np.linspace(0.0, 0.9, max(n - 1, 1)))
    if n > 1:
        ax.add_collection(LineCollection(segs[down], colors=colours[down], linewidths=2.2))
        ax.add_collection(
            LineCollection(segs[~down], colors="0.6", linewidths=0.8, linestyles=(0, (3, 2)))
        )
    ax.scatter(xy[:, 0], xy[:, 1], s=2.5, c="k", zorder=3, linewidths=0)
    starts = np.concatenate([[0], np.flatnonzero(~down) + 1])
    for k, i in enumerate(starts):
        ax.annotate(
            str(k + 1),
            xy[i],
            fontsize=6.5,
            color="crimson",
            zorder=4,
            xytext=(-2, 2),
            textcoords="offset points",
            ha="right",
        )
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 0.05) * 1.15
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] + half, centre[1] - half)  # y down
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7, linespacing=1.1)


def render_preview(config: PreviewConfig, output: str | Path) -> Path:
    """Write the contact sheet PNG to ``output`` and return its path.

    Raises:
        MissingTemplateError: for a character without a stroke template.
    """
    from trainer.mpl import isolate

    isolate()  # before matplotlib: its caches under Xiezi's folder
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    templates = load_templates()
    strokes = {c: templates.strokes(c) for c in config.chars}  # fail before drawing
    rngs = [np.random.default_rng([config.seed, w]) for w in range(config.writers)]
    styles = [sample_writer(r, config.synth) for r in rngs]
    rows, cols = len(config.chars), config.writers + 1
    fig, axes = plt.subplots(
        rows, cols, squeeze=False, figsize=(cols * config.cell_inches, rows * config.cell_inches)
    )
    for r, c in enumerate(config.chars):
        tpl = strokes[c]
        sid = np.repeat(np.arange(len(tpl), dtype=np.int32), [len(s) for s in tpl])
        _draw(
            axes[r, 0],
            np.concatenate(tpl).astype(np.float64),
            sid,
            f"U+{ord(c):04X} template\n{len(tpl)} strokes",
        )
        for w in range(config.writers):
            xy, sid, t = synthesize(tpl, rngs[w], styles[w], config.synth)
            _draw(
                axes[r, w + 1],
                xy,
                sid,
                f"writer {w}\n{int(sid[-1]) + 1} strokes, {len(xy)} pts, {t[-1]:.0f} ms",
            )
    fig.suptitle(
        f"Synthesized handwriting (seed {config.seed}): colour runs along the pen, "
        "numbers mark pen-down starts, grey dashes are pen-up moves",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (rows * config.cell_inches)))
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=config.dpi)
    plt.close(fig)
    logger.info("wrote %s (%d characters x %d writers)", out, rows, config.writers)
    return out
