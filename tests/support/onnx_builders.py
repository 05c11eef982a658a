"""Builds small ONNX models with the engine's contract, using only the `onnx` helper API.

Graph: features [B, T, 6] -> LSTM(s) -> mean over the valid steps -> FC -> ReLU -> FC ->
logits [B, C]; the same shape as trainer.model.BaselineLSTM. Used by the tests and by
bench/bench_engine.py (stand-in for the real model when none is bundled).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.manifest import PACKAGE_LOCATION


def lstm_classifier(
    num_classes: int,
    hidden: tuple[int, ...] = (8,),
    fc: int = 8,
    seed: int = 0,
    input_dim: int = 6,
    static_classes: bool = True,
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """A random-weight LSTM classifier; returns (model with inline weights, weights by name)."""
    rng = np.random.default_rng(seed)
    weights: dict[str, np.ndarray] = {}
    nodes = [
        helper.make_node("Transpose", ["features"], ["x_tbf"], perm=[1, 0, 2]),
        helper.make_node("Cast", ["lengths"], ["len32"], to=TensorProto.INT32),
    ]
    prev, prev_dim = "x_tbf", input_dim
    for k, h in enumerate(hidden):
        s = 1.0 / np.sqrt(h)
        weights[f"lstm{k}.W"] = rng.uniform(-s, s, (1, 4 * h, prev_dim)).astype(np.float32)
        weights[f"lstm{k}.R"] = rng.uniform(-s, s, (1, 4 * h, h)).astype(np.float32)
        weights[f"lstm{k}.B"] = rng.uniform(-s, s, (1, 8 * h)).astype(np.float32)
        nodes += [
            helper.make_node(
                "LSTM",
                [prev, f"lstm{k}.W", f"lstm{k}.R", f"lstm{k}.B", "len32"],
                [f"y{k}"],
                hidden_size=h,
            ),
            helper.make_node("Squeeze", [f"y{k}", "axis1"], [f"h{k}"]),
        ]
        prev, prev_dim = f"h{k}", h
    # mean over valid steps: mask[t, b] = t < lengths[b]
    nodes += [
        helper.make_node("Shape", ["features"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["t_len"], axis=0),
        helper.make_node("Range", ["zero", "t_len", "one"], ["steps"]),
        helper.make_node("Unsqueeze", ["steps", "axis1"], ["steps_col"]),
        helper.make_node("Less", ["steps_col", "lengths"], ["mask_b"]),
        helper.make_node("Cast", ["mask_b"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "axis2"], ["mask3"]),
        helper.make_node("Mul", [prev, "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis0"], ["summed"], keepdims=0),
        helper.make_node("Max", ["lengths", "one"], ["len_pos"]),
        helper.make_node("Cast", ["len_pos"], ["len_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["len_f", "axis1"], ["len_col"]),
        helper.make_node("Div", ["summed", "len_col"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "fc1.W"], ["fc1_mm"]),
        helper.make_node("Add", ["fc1_mm", "fc1.b"], ["fc1_out"]),
        helper.make_node("Relu", ["fc1_out"], ["fc1_act"]),
        helper.make_node("MatMul", ["fc1_act", "fc2.W"], ["fc2_mm"]),
        helper.make_node("Add", ["fc2_mm", "fc2.b"], ["logits"]),
    ]
    s1, s2 = 1.0 / np.sqrt(prev_dim), 1.0 / np.sqrt(fc)
    weights["fc1.W"] = rng.uniform(-s1, s1, (prev_dim, fc)).astype(np.float32)
    weights["fc1.b"] = rng.uniform(-s1, s1, (fc,)).astype(np.float32)
    weights["fc2.W"] = rng.uniform(-s2, s2, (fc, num_classes)).astype(np.float32)
    weights["fc2.b"] = rng.uniform(-s2, s2, (num_classes,)).astype(np.float32)
    consts = [
        numpy_helper.from_array(np.array(v, dtype=np.int64), name)
        for name, v in (("zero", 0), ("one", 1), ("axis0", [0]), ("axis1", [1]), ("axis2", [2]))
    ]
    inits = [numpy_helper.from_array(w, name) for name, w in weights.items()]
    graph = helper.make_graph(
        nodes,
        "tiny_lstm",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", "T", input_dim]),
            helper.make_tensor_value_info("lengths", TensorProto.INT64, ["B"]),
        ],
        [
            helper.make_tensor_value_info(
                "logits", TensorProto.FLOAT, ["B", num_classes if static_classes else "C"]
            )
        ],
        initializer=consts + inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, weights


def externalize(model: onnx.ModelProto, names: list[str]) -> bytes:
    """Serialize ``model`` with the initializers ``names`` turned into EXTERNAL tensors whose
    location is the package marker, as docs/architecture.md asks; other initializers stay inline.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    wanted = set(names)
    for init in out.graph.initializer:
        if init.name not in wanted:
            continue
        init.ClearField("raw_data")
        init.ClearField("float_data")
        init.data_location = TensorProto.EXTERNAL
        del init.external_data[:]
        entry = init.external_data.add()
        entry.key, entry.value = "location", PACKAGE_LOCATION
        wanted.discard(init.name)
    if wanted:
        raise KeyError(f"no initializers named {sorted(wanted)}")
    return out.SerializeToString()
