"""The metrics log of a run: one JSON object per line in ``metrics.jsonl``.

Training records: ``{"kind": "train", "step", "samples", "loss", "lr", "samples_per_s",
"elapsed_s"}``; validation records: ``{"kind": "val", "step", "samples", "val_top1",
"val_top10", "val_loss", "elapsed_s"}``. Accuracies are fractions in [0, 1]; ``elapsed_s``
is training time summed over all resumptions.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

METRICS = "metrics.jsonl"


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All whole records of a metrics file; a line cut short by a kill is skipped."""
    path = Path(path)
    if not path.is_file():
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
    return out


class MetricsLog:
    """Appends records to ``metrics.jsonl``; on resume, drops the records past the checkpoint.

    A run killed after its last checkpoint logged steps that the resumed run trains again;
    ``truncate(step)`` removes them so the file holds one continuous curve.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def truncate(self, step: int) -> None:
        kept = [r for r in read_metrics(self.path) if int(r.get("step", 0)) <= step]
        tmp = self.path.with_suffix(".jsonl.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in kept)
        tmp.replace(self.path)

    def append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def tail(self, n: int = 50) -> list[dict[str, Any]]:
        return read_metrics(self.path)[-n:]
