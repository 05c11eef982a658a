"""One session configuration (engine.session) for the recognizer and the build's latency figures,
one recognizer protocol, and the engine's public API (issue 16)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.package import load_package
from engine.protocol import InkRecognizer
from engine.recognizer import Recognizer
from engine.runtime import max_threads
from engine.session import ModelSession, session_options
from tests.support.engine_fixtures import sample_ink


def test_session_options_are_one_thread_sequential_without_spinning() -> None:
    so = session_options()
    assert so.intra_op_num_threads == 1 and so.inter_op_num_threads == 1
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert session_options(max_threads()).intra_op_num_threads == max_threads()
    for bad in (0, -1, 1.5, True, max_threads() + 1):
        with pytest.raises(ValueError, match="threads"):
            session_options(bad)  # type: ignore[arg-type]


def test_recognizer_runs_the_engine_session_and_matches_it(tiny_package: Path) -> None:
    rec = Recognizer(tiny_package).load()
    _, session = rec._load()
    assert type(session) is ModelSession
    pkg = load_package(tiny_package)
    alone = ModelSession(pkg.onnx_bytes, pkg.tensors)
    feats = engine.preprocess(sample_ink(0), pkg.preprocess)
    logits = alone.run(feats[None], np.array([len(feats)], dtype=np.int64))[0]
    best = rec.recognize_features(feats, 3)
    assert [c.char for c in best] == [pkg.charset[i] for i in np.argsort(-logits)[:3]]


def test_the_build_times_the_session_users_run() -> None:
    pytest.importorskip("torch")
    measure = importlib.import_module("trainer.compress.measure")
    assert issubclass(measure.OrtModel, ModelSession)


def test_the_recognizer_implements_the_protocol(tiny_package: Path) -> None:
    rec = Recognizer(tiny_package)
    assert isinstance(rec, InkRecognizer)
    (cands,) = rec.recognize_batch([sample_ink(1)], 2)
    assert cands == rec.recognize(sample_ink(1), 2)


def test_the_public_api_resolves_and_default_recognizer_is_gone() -> None:
    for name in engine.__all__:
        assert getattr(engine, name) is not None, name
    assert not hasattr(engine, "default_recognizer")
    assert engine.PACKAGE_LOCATION == "__xiezi_package__"
