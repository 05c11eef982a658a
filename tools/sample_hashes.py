"""Print SHA-256 digests of the first training and validation batches of a build preset.

The proof that a refactoring left the samples behind the bundled model unchanged: run it
before and after, the digests must be equal. ``python tools/sample_hashes.py full tiny``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys

import numpy as np


def digest(batches: object, n: int, parts: int) -> str:
    """SHA-256 of the first ``parts`` fields (x, lengths, labels, index) of ``n`` batches."""
    h = hashlib.sha256()
    for batch in itertools.islice(batches, n):  # type: ignore[call-overload]
        for part in tuple(batch)[:parts]:
            h.update(np.ascontiguousarray(np.asarray(part)).tobytes())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("presets", nargs="+")
    parser.add_argument("--batches", type=int, default=20, help="training batches hashed")
    parser.add_argument("--val-batches", type=int, default=4, help="validation batches hashed")
    args = parser.parse_args(argv)
    from trainer.build.presets import preset
    from trainer.data.feed import StreamSource

    for name in args.presets:
        source = StreamSource(preset(name).data)
        train = digest(source.stream(0, 1, 0), args.batches, 4)
        print(f"{name} classes {hashlib.sha256(source.charset.encode()).hexdigest()[:16]}")
        print(f"{name} train {args.batches} batches {train}", flush=True)
        val = digest(iter(source.validation(64)), args.val_batches, 3)
        print(f"{name} validation {args.val_batches} batches of 64 {val}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
