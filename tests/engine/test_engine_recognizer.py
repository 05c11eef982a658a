"""The recognizer on tiny models with the real contract: ranking, batches, threads, errors."""

from __future__ import annotations

import hashlib
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from tests.support.engine_fixtures import CHARSET, build_package, sample_ink

pytest.importorskip("onnx")  # the tiny models are built with onnx's helper API
import engine.opening as opening_mod
from engine.errors import EngineError, InkError, ModelLoadError
from engine.preprocess import preprocess
from engine.recognizer import Candidate, Recognizer, RecognizerOptions
from engine.resources import read_sha256_file
from tests.support.onnx_builders import lstm_classifier


def reference_logits(features: list[np.ndarray], seed: int = 0) -> np.ndarray:
    """Logits of the same tiny model with inline weights, one ink at a time."""
    model, _ = lstm_classifier(len(CHARSET), seed=seed)
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.concatenate(
        [s.run(None, {"features": f[None], "lengths": np.array([len(f)])})[0] for f in features]
    )


def test_recognize_matches_the_inline_model(tiny_package: Path) -> None:
    r = Recognizer(tiny_package)
    ink = sample_ink(0)
    cands = r.recognize(ink, n=5)
    assert len(cands) == 5 and all(isinstance(c, Candidate) for c in cands)
    probs = [c.prob for c in cands]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-9
    logits = reference_logits([preprocess(ink)])[0]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p)[:5]
    assert [c.char for c in cands] == [CHARSET[i] for i in order]
    assert np.allclose(probs, p[order], atol=1e-6)
    assert r.charset == CHARSET and r.info["stage"] == "test" and r.package.path == tiny_package


def test_all_candidates_sum_to_one_and_n_is_clamped(tiny_package: Path) -> None:
    cands = Recognizer(tiny_package).recognize(sample_ink(1), n=100)
    assert len(cands) == len(CHARSET) and sorted(c.char for c in cands) == sorted(CHARSET)
    assert abs(sum(c.prob for c in cands) - 1) < 1e-9


def test_batch_equals_single(tiny_package: Path) -> None:
    r = Recognizer(tiny_package)
    inks = [sample_ink(s, strokes=1 + s % 4, points=3 + 4 * s) for s in range(6)]
    batch = r.recognize_batch(inks, n=4)
    assert r.recognize_batch([], n=4) == []
    for ink, got in zip(inks, batch, strict=True):
        single = r.recognize(ink, n=4)
        assert [c.char for c in got] == [c.char for c in single]
        assert np.allclose([c.prob for c in got], [c.prob for c in single], atol=1e-6)


def test_recognize_features(tiny_package: Path) -> None:
    r = Recognizer(tiny_package)
    ink = sample_ink(2)
    assert [c.char for c in r.recognize_features(preprocess(ink), 3)] == [
        c.char for c in r.recognize(ink, 3)
    ]
    for bad in (np.zeros((0, 6)), np.zeros((4, 5)), np.full((2, 6), np.nan)):
        with pytest.raises(InkError, match="features"):
            r.recognize_features(bad)
    with pytest.raises(InkError, match="not an engine.Ink"):
        r.recognize([[[0, 0, 0]]])  # type: ignore[arg-type]
    for n in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n must be"):
            r.recognize(ink, n)  # type: ignore[arg-type]


def test_threads_get_the_same_answers(tiny_package: Path) -> None:
    r = Recognizer(tiny_package)  # not loaded yet: the threads race to load it
    inks = [sample_ink(s) for s in range(8)]
    expected = [[c.char for c in Recognizer(tiny_package).recognize(i, 3)] for i in inks]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: [c.char for c in r.recognize(i, 3)], inks * 4))
    assert results == expected * 4


def test_session_options(tiny_package: Path) -> None:
    r = Recognizer(tiny_package, RecognizerOptions(threads=2)).load()
    session = r._load()[1].session
    assert session.get_providers() == ["CPUExecutionProvider"]
    so = session.get_session_options()
    assert so.intra_op_num_threads == 2 and so.inter_op_num_threads == 1
    assert so.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    with pytest.raises(ValueError, match="threads"):
        Recognizer(tiny_package, RecognizerOptions(threads=0))


def test_loading_is_lazy_and_errors_name_the_path(tmp_path: Path) -> None:
    path = tmp_path / "none.xiezi"
    r = Recognizer(path)  # no error yet
    with pytest.raises(ModelLoadError, match=f"{path}.*no such file"):
        r.recognize(sample_ink(0))


def test_symbolic_class_count_is_checked_at_load(tmp_path: Path) -> None:
    path = tmp_path / "sym.xiezi"
    build_package(path, charset=CHARSET, static_classes=False, num_classes=len(CHARSET) + 2)
    with pytest.raises(ModelLoadError, match="charset has 12 characters"):
        Recognizer(path).load()


def test_default_recognizer_is_lazy_and_says_how_to_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_package: Path
) -> None:
    monkeypatch.setattr(Recognizer, "_default", None)
    monkeypatch.setattr(opening_mod, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    r = Recognizer.default()
    assert Recognizer.default() is r
    with pytest.raises(ModelLoadError, match="trainer build --preset full"):
        r.recognize(sample_ink(0))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "xiezi-gb1.xiezi").write_bytes(tiny_package.read_bytes())
    digest = hashlib.sha256(tiny_package.read_bytes()).hexdigest()
    (tmp_path / "model" / "xiezi-gb1.sha256").write_text(f"{digest}  xiezi-gb1.xiezi\n")
    assert len(r.recognize(sample_ink(0), 2)) == 2


def test_a_damaged_or_swapped_bundled_model_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_package: Path
) -> None:
    """Issue 17: the bundled model must be the file whose digest the engine ships."""
    monkeypatch.setattr(opening_mod, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "model").mkdir()
    bundled = tmp_path / "model" / "xiezi-gb1.xiezi"
    bundled.write_bytes(tiny_package.read_bytes())
    with pytest.raises(ModelLoadError, match="digest .*xiezi-gb1.sha256 cannot be read"):
        Recognizer().load()
    other = tmp_path / "other.xiezi"
    build_package(other, seed=1)  # a valid package, but not the one recorded
    digest = hashlib.sha256(tiny_package.read_bytes()).hexdigest()
    (tmp_path / "model" / "xiezi-gb1.sha256").write_text(f"{digest}  xiezi-gb1.xiezi\n")
    bundled.write_bytes(other.read_bytes())
    with pytest.raises(ModelLoadError, match=f"bundled model is refused: .*{bundled}.*replaced"):
        Recognizer().load()
    assert Recognizer(bundled).load().path == bundled  # named explicitly: its own checks only
    bundled.write_bytes(tiny_package.read_bytes())
    assert len(Recognizer().recognize(sample_ink(0), 2)) == 2


def test_the_checked_in_bundled_model_matches_its_recorded_digest() -> None:
    """After a rebuild or repack: python resources/model/regenerate.py --record-digest."""
    folder = Path(opening_mod.__file__).resolve().parent.parent / "resources" / "model"
    if not (folder / "xiezi-gb1.xiezi").is_file():
        pytest.skip("no bundled model in this checkout")
    recorded = read_sha256_file(folder / "xiezi-gb1.sha256")
    assert hashlib.sha256((folder / "xiezi-gb1.xiezi").read_bytes()).hexdigest() == recorded


def test_non_finite_scores_are_an_engine_error(tiny_package: Path) -> None:
    r = Recognizer(tiny_package)
    session = r._load()[1]

    class NaNSession:
        def run(self, *args: object, **kwargs: object) -> list[np.ndarray]:
            return [np.full((1, len(CHARSET)), np.nan, np.float32)]

    r._session = NaNSession()  # type: ignore[assignment]
    with pytest.raises(EngineError, match="non-finite"):
        r.recognize(sample_ink(0))
    r._session = session


@pytest.mark.torch
def test_torch_export_runs_through_the_package(tmp_path: Path) -> None:
    """The trainer's BaselineLSTM, exported and packaged, gives the same logits via the engine."""
    torch = pytest.importorskip("torch")
    onnx = pytest.importorskip("onnx")
    from engine.package import write_package
    from engine.preprocess import PreprocessConfig
    from tests.support.onnx_builders import externalize
    from trainer.model import BaselineLSTM, ModelConfig

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = BaselineLSTM(ModelConfig(num_classes=len(CHARSET), hidden1=6, hidden2=7, fc=5)).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the legacy exporter's deprecation and tracer notes
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, 6), torch.tensor([3])),
            buf,
            dynamo=False,
            opset_version=17,
            input_names=["features", "lengths"],
            output_names=["logits"],
            dynamic_axes={"features": {0: "B", 1: "T"}, "lengths": {0: "B"}, "logits": {0: "B"}},
        )
    proto = onnx.load_from_string(buf.getvalue())
    floats = {
        i.name: onnx.numpy_helper.to_array(i)
        for i in proto.graph.initializer
        if i.data_type == onnx.TensorProto.FLOAT and len(i.dims) >= 1
    }
    path = tmp_path / "torch.xiezi"
    write_package(
        path, externalize(proto, list(floats)), CHARSET, PreprocessConfig(), floats, {}, {}
    )
    r = Recognizer(path)
    inks = [sample_ink(s, points=4 + 3 * s) for s in range(3)]
    feats = [preprocess(i) for i in inks]
    got = r.recognize_batch(inks, n=len(CHARSET))
    with torch.no_grad():
        for f, cands in zip(feats, got, strict=True):
            logits = model(torch.from_numpy(f)[None], torch.tensor([len(f)]))[0]
            p = torch.softmax(logits.double(), 0).numpy()
            assert np.allclose([c.prob for c in cands], np.sort(p)[::-1], atol=1e-5)
