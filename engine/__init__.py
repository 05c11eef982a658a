"""Xiezi's recognition engine: ink, the preprocessing of Zhang et al. 2017, and an ONNX recognizer.

Needs only numpy and onnxruntime; never imports torch or Qt.
"""

from engine.errors import EngineError, InkError, ModelLoadError
from engine.ink import Ink, ink_from_json, make_ink, read_jsonl, write_jsonl
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig, preprocess

__all__ = [
    "PREPROCESS_VERSION",
    "EngineError",
    "Ink",
    "InkError",
    "ModelLoadError",
    "PreprocessConfig",
    "ink_from_json",
    "make_ink",
    "preprocess",
    "read_jsonl",
    "write_jsonl",
]
