"""The onnxruntime session every Xiezi model runs in: one set of settings for users and reports.

The recognizer and the build's latency figures (trainer/compress/measure.py) both open their
sessions here, so a report times the very session configuration users run (issue 16). The one
import point of onnxruntime: its telemetry is off before it loads (issue 22).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.runtime import check_threads, keep_onnxruntime_offline

# Telemetry off before onnxruntime loads: it starts at import (engine/runtime.py, issue 22).
# This is the one module of Xiezi that imports onnxruntime; others take `ort` from here.
keep_onnxruntime_offline()
import onnxruntime as ort  # noqa: E402 (after the line above: telemetry off first)

if hasattr(ort, "disable_telemetry_events"):  # not enough alone, harmless beside the variable
    ort.disable_telemetry_events()

#: Input and output names of every Xiezi model (docs/architecture.md).
FEATURES, LENGTHS, LOGITS = "features", "lengths", "logits"
#: The optional second output: the penultimate layer (models exported since issue 28).
EMBEDDING = "embedding"


def session_options(threads: int = 1) -> ort.SessionOptions:
    """The SessionOptions of every Xiezi session: ``threads`` intra-op threads, sequential.

    One thread (the default) keeps a pad from stealing cores and is what the latency figures
    are measured with. Spinning is off: a recognizer is called at pen-up, not in a tight
    loop, and a spinning pool would burn a core between characters. Graph optimization
    stays at onnxruntime's default (all levels): the gate reordering and transposes of the
    exported graph act on initializers and are folded once at load. Measured beside a
    build (interleaved, thread CPU time): memory pattern, arena, denormals-as-zero and the
    extended level all within the noise of the default, so none is changed.
    ValueError unless 1 <= threads <= the cores this process may use (engine.runtime).
    """
    so = ort.SessionOptions()
    so.intra_op_num_threads = check_threads(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return so


class ModelSession:
    """An onnxruntime CPU session of a Xiezi model; ``tensors`` feed its external weights.

    Raises whatever onnxruntime raises on a graph it cannot load (callers wrap it in their
    own error: engine.errors.ModelLoadError in the recognizer).
    """

    def __init__(
        self, onnx_bytes: bytes, tensors: Mapping[str, np.ndarray] | None = None, threads: int = 1
    ) -> None:
        so = session_options(threads)
        # The OrtValues must outlive the session that reads them.
        names = list(tensors or {})
        self._values = (
            [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(tensors[k])) for k in names]
            if tensors
            else []
        )
        if names:
            so.add_external_initializers(names, self._values)
        self.session = ort.InferenceSession(
            onnx_bytes, sess_options=so, providers=["CPUExecutionProvider"]
        )
        #: Whether the model has the ``embedding`` output (engine.memory needs it).
        self.has_embedding = EMBEDDING in {o.name for o in self.session.get_outputs()}

    def run(self, features: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """features (B, T, 6) float32, lengths (B,) int64 -> logits (B, C) float32."""
        out = self.session.run([LOGITS], {FEATURES: features, LENGTHS: lengths})
        return out[0]  # type: ignore[no-any-return]

    def run_with_embedding(
        self, features: np.ndarray, lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits (B, C) and embeddings (B, D), or None for a model without that output.
        One pass: the embedding is the layer the logits are computed from."""
        if not self.has_embedding:
            return self.run(features, lengths), None
        logits, embedding = self.session.run(
            [LOGITS, EMBEDDING], {FEATURES: features, LENGTHS: lengths}
        )
        return logits, embedding
