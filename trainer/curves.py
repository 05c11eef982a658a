"""The training-curves picture (``curves.png``) drawn from a run's metrics.jsonl."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def plot_curves(records: list[dict[str, Any]], path: str | Path) -> None:
    """Draw loss and learning rate over samples (top) and validation accuracy (bottom).

    Uses matplotlib's Agg canvas directly (no pyplot, no display, no global figure state);
    writes atomically via a temporary file.
    """
    from trainer.mpl import isolate

    isolate()  # before matplotlib: its caches under Xiezi's folder
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    train = [r for r in records if r.get("kind") == "train"]
    val = [r for r in records if r.get("kind") == "val"]
    fig = Figure(figsize=(8, 7))
    FigureCanvasAgg(fig)
    ax1, ax3 = fig.subplots(2, 1, sharex=True)
    if train:
        xs = [r["samples"] for r in train]
        ax1.plot(xs, [r["loss"] for r in train], color="tab:blue", lw=1, label="loss")
        ax1.set_ylabel("training loss")
        ax2 = ax1.twinx()
        ax2.plot(xs, [r["lr"] for r in train], color="tab:gray", lw=1, ls="--")
        ax2.set_ylabel("learning rate", color="tab:gray")
    ax1.grid(alpha=0.3)
    if val:
        xs = [r["samples"] for r in val]
        ax3.plot(xs, [100 * r["val_top1"] for r in val], "o-", label="top-1")
        ax3.plot(xs, [100 * r["val_top10"] for r in val], "s-", label="top-10")
        ax3.set_ylim(0, 105)
        # Outside the axes: inside, "lower right" hid the points of a run that stays low.
        ax3.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax3.set_ylabel("validation accuracy (%)")
    ax3.set_xlabel("training samples")
    ax3.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, dpi=90, format="png")
    tmp.replace(path)
