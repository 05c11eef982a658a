"""Xiezi's recognition engine: ink, the preprocessing of Zhang et al. 2017, and an ONNX recognizer.

Needs only numpy and onnxruntime; never imports torch or Qt. The recognizer and the model
package are imported on first use of their names (``engine.Recognizer``), so ``import engine``
stays light; ``engine.recognizer`` and ``engine.package`` can also be imported directly.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.errors import EngineError, InkError, ModelLoadError
from engine.ink import Ink, ink_from_json, make_ink, read_jsonl, write_jsonl
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig, preprocess
from engine.runtime import keep_onnxruntime_offline

# On any import of the engine, before anything in this process can load onnxruntime (issue 22).
keep_onnxruntime_offline()

_LAZY = {
    "Candidate": "engine.protocol",
    "InkRecognizer": "engine.protocol",
    "Recognizer": "engine.recognizer",
    "RecognizerOptions": "engine.recognizer",
    "ModelPackage": "engine.package",
    "load_package": "engine.package",
    "write_package": "engine.package",
    "PACKAGE_LOCATION": "engine.manifest",
    "ModelSession": "engine.session",
    "session_options": "engine.session",
}

#: The public API; anything else is an implementation detail that may change.
__all__ = [
    "PACKAGE_LOCATION",
    "PREPROCESS_VERSION",
    "Candidate",
    "EngineError",
    "Ink",
    "InkError",
    "InkRecognizer",
    "ModelLoadError",
    "ModelPackage",
    "ModelSession",
    "PreprocessConfig",
    "Recognizer",
    "RecognizerOptions",
    "ink_from_json",
    "load_package",
    "make_ink",
    "preprocess",
    "read_jsonl",
    "session_options",
    "write_jsonl",
    "write_package",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
