"""TrainStream and the validation set: determinism, sharding, resume, bucketing, sources."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.ink import make_ink, write_jsonl
from engine.preprocess import PreprocessConfig
from trainer.data.config import DataConfig
from trainer.data.dataset import WORKER_STRIDE, TrainStream, validation_batches, validation_set
from trainer.data.errors import DataError
from trainer.data.pot import write_pot
from trainer.data.real import JSONL_VAL_EVERY
from trainer.data.sources import SyntheticSource, make_source
from trainer.data.synth import SynthConfig, synthesize_ink
from trainer.data.templates import load_charset, load_templates

torch.set_num_threads(1)
PRE = PreprocessConfig()
SMALL = DataConfig(num_classes=12, batch_size=4, bucket_batches=3, val_per_class=1)


def _classes(config: DataConfig) -> str:
    return make_source(config).classes


def _equal(a: tuple, b: tuple) -> bool:  # type: ignore[type-arg]
    return all(torch.equal(x, y) for x, y in zip(a[:3], b[:3], strict=True)) and a[3] == b[3]


def test_batches_have_the_documented_shapes() -> None:
    x, lengths, labels, b = TrainStream(SMALL, PRE).batch(0)
    assert b == 0 and x.dtype == torch.float32 and x.shape[0] == 4 and x.shape[2] == 6
    assert lengths.dtype == torch.int64 and labels.dtype == torch.int64
    assert int(lengths.max()) == x.shape[1] and int(lengths.min()) >= 1
    assert int(labels.min()) >= 0 and int(labels.max()) < 12
    for i, n in enumerate(lengths.tolist()):
        assert torch.all(x[i, n:] == 0) and torch.all(x[i, n - 1, 4:] == torch.tensor([0.0, 1.0]))


def test_same_seed_same_batches_other_seed_other_batches() -> None:
    a, b = TrainStream(SMALL, PRE), TrainStream(SMALL, PRE)
    assert all(_equal(a.batch(k), b.batch(k)) for k in (0, 1, 7))
    c = TrainStream(DataConfig(**{**SMALL.__dict__, "seed": 1}), PRE)
    if a.batch(0)[0].shape == c.batch(0)[0].shape:
        assert not torch.equal(a.batch(0)[0], c.batch(0)[0])


def test_resume_at_start_batch_yields_exactly_that_batch() -> None:
    full = iter(TrainStream(SMALL, PRE))
    ref = [next(full) for _ in range(9)]
    for k in (0, 5, 8):
        resumed = next(iter(TrainStream(SMALL, PRE, start_batch=k)))
        assert _equal(resumed, ref[k])


def test_ranks_read_disjoint_samples() -> None:
    streams = [TrainStream(SMALL, PRE, rank=r, world_size=2) for r in range(2)]
    span = range(2 * WORKER_STRIDE * SMALL.bucket_batches)
    seen = [set().union(*(set(s.sample_indices(b)) for b in span)) for s in streams]
    assert seen[0] and not seen[0] & seen[1]
    rows = [{bytes(f.numpy()) for x, n in [s.batch(0)[:2]] for f in x[:, :5]} for s in streams]
    assert not rows[0] & rows[1]
    with pytest.raises(ValueError, match="rank"):
        TrainStream(SMALL, PRE, rank=2, world_size=2)


def test_samples_barely_depend_on_how_many_are_made_at_once() -> None:
    source = SyntheticSource(SMALL)
    many = source.train_many(range(5, 15))
    again = source.train_many(range(5, 15))
    for i, (xy, sid, label, _), (xy2, *_) in zip(range(5, 15), many, again, strict=True):
        assert np.array_equal(xy, xy2)
        xy1, sid1, label1, _ = source.train(i)  # batched float sums may round differently
        assert label == label1 and np.allclose(xy, xy1, atol=1e-5) and np.array_equal(sid, sid1)


def test_out_of_order_reading_gives_the_same_batches() -> None:
    cfg = DataConfig(num_classes=30, batch_size=4, bucket_batches=3)
    ahead = TrainStream(cfg, PRE)
    in_order = [ahead.batch(b) for b in range(3 * WORKER_STRIDE * 3)]
    jumpy = TrainStream(cfg, PRE)
    for b in [17, 5, 30, 2, 35, 0, 12]:
        assert _equal(jumpy.batch(b), in_order[b])


def test_classes_are_balanced_within_an_epoch() -> None:
    source = SyntheticSource(SMALL)
    labels = [source.train(i)[2] for i in range(2 * SMALL.num_classes)]
    assert sorted(labels[:12]) == list(range(12)) == sorted(labels[12:])
    assert labels[:12] != labels[12:]  # reshuffled each epoch


def test_bucketing_pads_only_among_similar_lengths() -> None:
    cfg = DataConfig(num_classes=40, batch_size=4, bucket_batches=6)
    stream = TrainStream(cfg, PRE)
    batches = [stream.batch(b) for b in range(0, WORKER_STRIDE * 6, WORKER_STRIDE)]  # one group
    ranges = sorted((int(lg.min()), int(lg.max())) for _, lg, _, _ in batches)
    assert all(hi <= lo2 for (_, hi), (lo2, _) in itertools.pairwise(ranges))
    padded = sum(x.shape[0] * x.shape[1] for x, *_ in batches)
    lengths = torch.cat([lg for _, lg, _, _ in batches])
    unsorted = sum(4 * int(lengths[i : i + 4].max()) for i in range(0, len(lengths), 4))
    assert int(lengths.sum()) <= padded <= unsorted


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
@pytest.mark.parametrize("workers", [2, 3])
def test_dataloader_workers_keep_the_order(workers: int) -> None:
    stream = TrainStream(SMALL, PRE, start_batch=3)
    ref = [stream.batch(b) for b in range(3, 9)]
    it = iter(DataLoader(stream, batch_size=None, num_workers=workers))
    got = [next(it) for _ in ref]
    del it  # shut the workers down now
    assert all(_equal(g, r) for g, r in zip(got, ref, strict=True))


def test_points_are_capped_by_the_engines_preprocessing() -> None:
    # the cap is the engine's (PreprocessConfig.max_points), so training and serving agree
    capped = validation_set(
        DataConfig(num_classes=3, val_per_class=1), PreprocessConfig(max_points=10)
    )
    assert max(len(f) for f, _ in capped) == 10
    feats = capped[2][0]
    assert np.allclose(feats[:-1, 2:4], feats[1:, :2] - feats[:-1, :2], atol=1e-6)
    assert feats[-1, 5] == 1


def test_validation_is_fixed_and_held_out() -> None:
    cfg = DataConfig(num_classes=5, val_per_class=2, batch_size=4, bucket_batches=2)
    val = validation_set(cfg, PRE)
    assert [label for _, label in val] == [0, 1, 2, 3, 4] * 2
    other_seed = validation_set(DataConfig(**{**cfg.__dict__, "seed": 9}), PRE)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(val, other_seed, strict=True))
    stream = TrainStream(DataConfig(**{**cfg.__dict__, "augment": False}), PRE)
    train = {
        bytes(f.numpy())
        for b in range(2)
        for x, n, *_ in [stream.batch(b)]
        for f, k in zip(x, n.tolist(), strict=True)
        for f in [f[:k]]
    }
    assert not train & {bytes(f) for f, _ in val}
    batches = validation_batches(cfg, PRE, batch_size=4)
    assert sum(len(b.labels) for b in batches) == 10 and {b.index for b in batches} == {-1}
    assert [int(b.lengths.max()) for b in batches] == sorted(int(b.lengths.max()) for b in batches)


def test_synthesized_ink_passes_engine_validation() -> None:
    source = SyntheticSource(DataConfig(num_classes=30))
    for i in range(30):
        xy, sid, _label, _rng = source.train(i)
        assert xy.dtype == np.float64 and np.all(np.diff(sid) >= 0) and len(xy) >= 1
    t, synth = load_templates(), SynthConfig()
    for k, c in enumerate("永中国我的一丨鑫"):
        ink = synthesize_ink(t.strokes(c), np.random.default_rng(k), synth, c)
        assert ink.label == c and len(ink.strokes) >= 1 and ink.num_points >= len(ink.strokes)


def test_pot_source_holds_out_the_last_file(tmp_path: Path) -> None:
    t, cs = load_templates(), load_charset()
    chars = cs[:6]
    for w in range(3):
        write_pot(
            tmp_path / f"{w:03d}.pot",
            [(c, [(s * 1000).astype(np.int16) + w for s in t.strokes(c)]) for c in chars],
        )
    cfg = DataConfig(
        source="pot", paths=(str(tmp_path),), num_classes=4, batch_size=2, bucket_batches=2
    )
    assert _classes(cfg) == chars[:4]
    val = validation_set(cfg, PRE)
    assert sorted(label for _, label in val) == [0, 1, 2, 3]
    x, _lengths, labels, _ = TrainStream(cfg, PRE).batch(0)
    assert x.shape[0] == 2 and set(labels.tolist()) <= {0, 1, 2, 3}


def test_jsonl_source_skips_unknown_labels_and_holds_out_every_20th(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    t, cs = load_templates(), load_charset()
    inks = []
    for k in range(2 * JSONL_VAL_EVERY):
        c = cs[k % 3] if k % 10 else "A"
        strokes = t.strokes(cs[0])
        inks.append(
            make_ink(
                [np.column_stack([s, 100 * j + np.arange(len(s))]) for j, s in enumerate(strokes)],
                c,
            )
        )
    write_jsonl(tmp_path / "a.jsonl", inks)
    cfg = DataConfig(
        source="jsonl", paths=(str(tmp_path / "a.jsonl"),), batch_size=2, bucket_batches=1
    )
    with caplog.at_level(logging.WARNING):
        assert _classes(cfg) == cs[:3]
    assert "skipped 4 of 40 samples" in caplog.text
    assert len(validation_set(cfg, PRE)) == 2  # samples 19 and 39


def test_bad_configs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="source must be"):
        _classes(DataConfig(source="casia"))
    with pytest.raises(ValueError, match="needs paths"):
        _classes(DataConfig(source="pot"))
    with pytest.raises(ValueError, match="num_classes must be in 1..3755"):
        _classes(DataConfig(num_classes=5000))
    with pytest.raises(ValueError, match="batch_size"):
        DataConfig(batch_size=0)
    with pytest.raises(DataError, match="cannot read JSONL"):
        _classes(DataConfig(source="jsonl", paths=(str(tmp_path / "none.jsonl"),)))


def test_reading_in_order_spreads_the_work_evenly() -> None:
    stream = TrainStream(SMALL, PRE)
    made: list[int] = []
    train_many = stream.source.train_many

    def counting(indices: range):  # type: ignore[no-untyped-def]
        made.extend(indices)
        return train_many(indices)

    stream.source.train_many = counting  # type: ignore[method-assign]
    per_batch = []
    for b in range(3 * WORKER_STRIDE * SMALL.bucket_batches):
        before = len(made)
        stream.batch(b)
        per_batch.append(len(made) - before)
    assert per_batch[WORKER_STRIDE:] == [SMALL.batch_size] * (len(per_batch) - WORKER_STRIDE)
    assert len(set(made)) == len(made)  # no sample made twice


def test_real_ink_joins_synthetic_validation(tmp_path: Path) -> None:
    t, cs = load_templates(), load_charset()
    write_pot(
        tmp_path / "w.pot",
        [(c, [(s * 1000).astype(np.int16) for s in t.strokes(c)]) for c in cs[:4]],
    )
    cfg = DataConfig(num_classes=2, val_per_class=1, paths=(str(tmp_path / "w.pot"),))
    labels = [label for _, label in validation_set(cfg, PRE)]
    assert labels == [0, 1, 0, 1]  # two synthetic, then the real ink of the two classes
