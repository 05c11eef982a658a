"""ONNX export of every stage: inputs features [B, T, 6] float32, lengths [B] int64 -> logits.

The graph is built by hand (onnx.helper) so that its initializers are exactly the model's
state_dict tensors, by name; the package stores those tensors and the engine feeds them back.
The first LSTM, and the second when dense, is the standard ONNX LSTM op. With a time stride
(ModelConfig.stride2) the second LSTM's steps are gathered from the first's output. A
factored second LSTM is a Scan over time whose 9-node body holds only the hidden low-rank
product and the gate arithmetic: the input projection x V_ih^T U_ih^T + b for all steps is
done before the Scan as one pair of Gemms (the speed-up of Yang et al. 2018 comes from the
recurrence being cheap).
Reordering of gates (torch: i f g o; ONNX: i o f c) and transposes act on initializers only,
so onnxruntime folds them once at load.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from engine.manifest import PACKAGE_LOCATION
from trainer.compress.svd import LowRankLinear, LowRankLSTM, LowRankLSTMLayer
from trainer.model import BaselineLSTM

OPSET = 17


class _Graph:
    """Accumulates nodes and initializers; ``op`` returns the output name of a new node."""

    def __init__(self, prefix: str = "") -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.prefix = prefix
        self.count = 0

    def op(
        self,
        op_type: str,
        inputs: list[str],
        outputs: int = 1,
        name: str | None = None,
        **attrs: Any,
    ) -> Any:
        """Add a node; its outputs are named ``name`` (one output) or generated."""
        self.count += 1
        names = [f"{self.prefix}{op_type.lower()}_{self.count}_{i}" for i in range(outputs)]
        if name is not None:
            names = [name]
        self.nodes.append(helper.make_node(op_type, inputs, names, **attrs))
        return names[0] if outputs == 1 else names

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), self.prefix + name))
        return self.prefix + name


def _gather_rows(g: _Graph, name: str, hidden: int, order: tuple[int, ...]) -> str:
    """Rows of a torch gate-stacked tensor (4H, ...) with gates i f g o put in ``order``."""
    idx = np.concatenate([np.arange(k * hidden, (k + 1) * hidden) for k in order])
    key = "".join(map(str, order))
    return g.op("Gather", [name, g.const(f"{name}.gates_{key}", idx.astype(np.int64))], axis=0)


#: Gate order inside the Scan: i f o (sigmoid, one slice) then g (tanh).
IFOG = (0, 1, 3, 2)


#: Gate order of the ONNX LSTM op: i o f c.
IOFC = (0, 3, 1, 2)


def _lstm_op(g: _Graph, x: str, prefix: str, suffix: str, hidden: int) -> str:
    """Standard ONNX LSTM over x (T, B, I) with torch parameters named ``prefix.weight_ih<sfx>``."""
    axis0 = g.const(f"{prefix}.axis0", np.array([0], dtype=np.int64))
    w = g.op("Unsqueeze", [_gather_rows(g, f"{prefix}.weight_ih{suffix}", hidden, IOFC), axis0])
    r = g.op("Unsqueeze", [_gather_rows(g, f"{prefix}.weight_hh{suffix}", hidden, IOFC), axis0])
    b = g.op(
        "Concat",
        [
            _gather_rows(g, f"{prefix}.bias_ih{suffix}", hidden, IOFC),
            _gather_rows(g, f"{prefix}.bias_hh{suffix}", hidden, IOFC),
        ],
        axis=0,
    )
    b = g.op("Unsqueeze", [b, axis0])
    y = g.op("LSTM", [x, w, r, b], outputs=3, hidden_size=hidden)[0]  # (T, 1, B, H)
    return g.op("Squeeze", [y, g.const(f"{prefix}.axis1", np.array([1], dtype=np.int64))])


def _input_projection(g: _Graph, x: str, layer: LowRankLSTMLayer, prefix: str) -> str:
    """x (T, B, I) -> x W_ih^T + b_ih + b_hh (T, B, 4H), gates in IFOG order, for all steps.

    One Gemm (or two for W_ih = U V) over the (T*B, I) matrix, the bias added in the Gemm.
    """
    h = layer.hidden_size
    bias = _gather_rows(g, g.op("Add", [f"{prefix}.bias_ih", f"{prefix}.bias_hh"]), h, IFOG)
    flat = g.op("Reshape", [x, g.const(f"{prefix}.flat", np.array([-1, layer.input_size]))])
    if layer.rank_ih is None:
        w = _gather_rows(g, f"{prefix}.weight_ih", h, IFOG)
        y = g.op("Gemm", [flat, w, bias], transB=1)
    else:
        v = g.op("Gemm", [flat, f"{prefix}.weight_ih_V"], transB=1)
        u = _gather_rows(g, f"{prefix}.weight_ih_U", h, IFOG)
        y = g.op("Gemm", [v, u, bias], transB=1)
    tb = g.op(
        "Slice",
        [
            g.op("Shape", [x]),
            g.const(f"{prefix}.tb0", np.array([0])),
            g.const(f"{prefix}.tb1", np.array([2])),
        ],
    )
    shape = g.op("Concat", [tb, g.const(f"{prefix}.gates", np.array([4 * h]))], axis=0)
    return g.op("Reshape", [y, shape])


def _lowrank_lstm_scan(g: _Graph, x: str, batch: str, layer: LowRankLSTMLayer, prefix: str) -> str:
    """The factored LSTM over x (T, B, I) as an ONNX Scan; returns hidden states (T, B, H).

    Per step the node dispatch of onnxruntime (about 1 us a node) costs as much as the
    arithmetic, so the body is 9 nodes: two Gemms that add the step's input projection and
    end in their activation (onnxruntime fuses Gemm + Sigmoid/Tanh), one Split, the cell
    update, and, with W_hh = U V, the product a = h V^T (r values) carried as the state in
    place of h: h then is only a scan output and needs no Identity.
    """
    h_size = layer.hidden_size
    xp = _input_projection(g, x, layer, prefix)
    sizes = g.const(f"{prefix}.ifo_g", np.array([3 * h_size, h_size], dtype=np.int64))
    x_ifo, x_g = g.op("Split", [xp, sizes], outputs=2, axis=2)
    # Weights read by the body from the outer scope, transposed there (folded at load).
    if layer.rank_hh is None:
        w = _gather_rows(g, f"{prefix}.weight_hh", h_size, IFOG)
        state, width, v_t = "h_prev", h_size, None
    else:
        w = _gather_rows(g, f"{prefix}.weight_hh_U", h_size, IFOG)
        state, width = "a_prev", layer.rank_hh
        v_t = g.op("Transpose", [f"{prefix}.weight_hh_V"])
    w_ifo, w_g = (g.op("Transpose", [m]) for m in g.op("Split", [w, sizes], outputs=2, axis=0))

    body = _Graph(prefix="body_")
    sig = body.op("Sigmoid", [body.op("Gemm", [state, w_ifo, "x_ifo_t"])])
    cand = body.op("Tanh", [body.op("Gemm", [state, w_g, "x_g_t"])])
    i, f, o = body.op("Split", [sig], outputs=3, axis=1)
    c = body.op("Add", [body.op("Mul", [f, "c_prev"]), body.op("Mul", [i, cand])], name="c_next")
    h = body.op("Mul", [o, body.op("Tanh", [c])], name="h_out")
    if v_t is None:
        body.op("Identity", [h], name="h_next")
        state_out = "h_next"
    else:
        state_out = body.op("MatMul", [h, v_t], name="a_next")
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        body.nodes,
        "lstm_cell",
        [
            helper.make_tensor_value_info(n, f32, ["B", shape])
            for n, shape in (
                (state, width),
                ("c_prev", h_size),
                ("x_ifo_t", 3 * h_size),
                ("x_g_t", h_size),
            )
        ],
        [
            helper.make_tensor_value_info(n, f32, ["B", shape])
            for n, shape in ((state_out, width), ("c_next", h_size), ("h_out", h_size))
        ],
        body.inits,
    )

    def zeros(what: str, n: int) -> str:
        shape = g.op("Concat", [batch, g.const(f"{prefix}.{what}0", np.array([n]))], axis=0)
        return g.op("ConstantOfShape", [shape], value=helper.make_tensor("zero", f32, [1], [0.0]))

    return g.op(
        "Scan",
        [zeros("state", width), zeros("cell", h_size), x_ifo, x_g],
        outputs=3,
        body=graph,
        num_scan_inputs=2,
    )[2]


def _decimate(g: _Graph, y: str, lengths: str, stride: int) -> tuple[str, str]:
    """y (T, B, H), lengths (B,) -> every stride-th step ending at each last valid step.

    The indices of trainer.model.decimate: sequence b keeps o_b + s k (k < ceil(T / s)),
    o_b = (L_b - 1) mod s, clamped to T - 1; its new length is ceil(L_b / s).
    """
    if stride == 1:
        return y, lengths
    i64 = np.int64
    s = g.const("decimate.stride", np.array(stride, dtype=i64))
    one = g.const("decimate.one", np.array(1, dtype=i64))
    lens = g.op("Max", [lengths, one])
    shape = g.op("Shape", [y])
    t = g.op("Gather", [shape, g.const("decimate.zero", np.array(0, dtype=i64))])
    steps = g.op("Div", [g.op("Add", [t, g.const("decimate.s1", np.array(stride - 1, i64))]), s])
    k = g.op(
        "Unsqueeze",
        [
            g.op("Range", [g.const("decimate.start", np.array(0, dtype=i64)), steps, one]),
            g.const("decimate.axis1", np.array([1], dtype=i64)),
        ],
    )  # (K, 1)
    offset = g.op("Mod", [g.op("Sub", [lens, one]), s])  # (B,)
    idx = g.op("Min", [g.op("Add", [offset, g.op("Mul", [k, s])]), g.op("Sub", [t, one])])
    idx = g.op("Unsqueeze", [idx, g.const("decimate.axis2", np.array([2], dtype=i64))])
    kb = g.op(
        "Slice",
        [
            g.op("Shape", [idx]),
            g.const("decimate.s0", np.array([0])),
            g.const("decimate.s2", np.array([2])),
        ],
    )
    hidden = g.op(
        "Slice",
        [shape, g.const("decimate.h0", np.array([2])), g.const("decimate.h1", np.array([3]))],
    )
    idx = g.op("Expand", [idx, g.op("Concat", [kb, hidden], axis=0)])  # (K, B, H)
    new_lengths = g.op(
        "Div", [g.op("Add", [lens, g.const("decimate.s1b", np.array(stride - 1, dtype=i64))]), s]
    )
    return g.op("GatherElements", [y, idx], axis=0), new_lengths


def _pool(g: _Graph, y: str, lengths: str, pooling: str) -> str:
    """y (T, B, H), lengths (B,) -> (B, H): mean over valid steps or the last valid step."""
    one = g.const("pool.one", np.array(1, dtype=np.int64))
    lens = g.op("Max", [lengths, one])
    if pooling == "last":  # gather step L - 1 of each sequence
        idx = g.op(
            "Unsqueeze",
            [g.op("Sub", [lens, one]), g.const("pool.axes02", np.array([0, 2], dtype=np.int64))],
        )
        bh = g.op(
            "Slice",
            [
                g.op("Shape", [y]),
                g.const("pool.b", np.array([1])),
                g.const("pool.h", np.array([3])),
            ],
        )
        shape = g.op("Concat", [g.const("pool.one1", np.array([1], dtype=np.int64)), bh], axis=0)
        last = g.op("GatherElements", [y, g.op("Expand", [idx, shape])], axis=0)  # (1, B, H)
        return g.op("Squeeze", [last, g.const("pool.axis0", np.array([0], dtype=np.int64))])
    t = g.op("Gather", [g.op("Shape", [y]), g.const("pool.zero", np.array(0, dtype=np.int64))])
    steps = g.op(
        "Unsqueeze",
        [
            g.op(
                "Range",
                [
                    g.const("pool.start", np.array(0, np.int64)),
                    t,
                    g.const("pool.delta", np.array(1, np.int64)),
                ],
            ),
            g.const("pool.axis1", np.array([1], dtype=np.int64)),
        ],
    )  # (T, 1)
    mask = g.op(
        "Unsqueeze",
        [
            g.op("Cast", [g.op("Less", [steps, lengths])], to=TensorProto.FLOAT),
            g.const("pool.axis2", np.array([2], dtype=np.int64)),
        ],
    )
    total = g.op(
        "ReduceSum", [g.op("Mul", [y, mask]), g.const("pool.axis0", np.array([0]))], keepdims=0
    )
    denom = g.op("Unsqueeze", [g.op("Cast", [lens], to=TensorProto.FLOAT), "pool.axis1"])
    return g.op("Div", [total, denom])


def _linear(g: _Graph, x: str, layer: nn.Module, prefix: str) -> str:
    if isinstance(layer, LowRankLinear):
        v = g.op("Gemm", [x, f"{prefix}.weight_V"], transB=1)
        return g.op("Gemm", [v, f"{prefix}.weight_U", f"{prefix}.bias"], transB=1)
    return g.op("Gemm", [x, f"{prefix}.weight", f"{prefix}.bias"], transB=1)


def ordered_state(model: nn.Module) -> list[tuple[str, Any]]:
    """The model's state_dict items in one order whatever the model went through: by module,
    in the order the modules were registered, then by name within a module.

    Removing a parametrization (torch.nn.utils.parametrize, as the pruning and weight-sharing
    passes do in finalize) puts the parameter last in its module, so a model fresh from
    training listed its tensors in another order than the same model reloaded from its
    checkpoint, and its package had other bytes (issue 27 item 6).
    """
    rank = {name: i for i, (name, _) in enumerate(model.named_modules())}

    def key(item: tuple[str, Any]) -> tuple[int, str]:
        prefix, _, leaf = item[0].rpartition(".")
        return rank.get(prefix, len(rank)), leaf

    return sorted(model.state_dict().items(), key=key)


def to_onnx(model: nn.Module) -> onnx.ModelProto:
    """The ONNX model of a BaselineLSTM or LowRankLSTM (eval mode), weights embedded.

    Initializer names equal the model's state_dict keys, in ``ordered_state``'s order.
    Dynamic B and T. Outputs: ``logits`` [B, classes] and ``embedding`` [B, fc1 width], the
    first fully connected layer after its ReLU (what engine.memory compares inks by).
    """
    if not isinstance(model, BaselineLSTM):
        raise TypeError(f"cannot export {type(model).__name__}; expected BaselineLSTM/LowRankLSTM")
    cfg = model.config
    g = _Graph()
    for name, tensor in ordered_state(model):
        g.const(name, tensor.detach().cpu().numpy().astype(np.float32))
    x = g.op("Transpose", ["features"], perm=[1, 0, 2])  # (T, B, 6)
    batch = g.op(
        "Slice",
        [
            g.op("Shape", ["features"]),
            g.const("batch.start", np.array([0])),
            g.const("batch.end", np.array([1])),
        ],
    )
    y = _lstm_op(g, x, "lstm1", "_l0", cfg.hidden1)
    y, lengths = _decimate(g, y, "lengths", cfg.stride2)
    if isinstance(model, LowRankLSTM):
        y = _lowrank_lstm_scan(g, y, batch, model.lstm2, "lstm2")  # type: ignore[arg-type]
    else:
        y = _lstm_op(g, y, "lstm2", "_l0", cfg.hidden2)
    v = _pool(g, y, lengths, cfg.pooling)
    v = g.op("Relu", [_linear(g, v, model.fc1, "fc1")])
    g.nodes.append(helper.make_node("Identity", [_linear(g, v, model.fc2, "fc2")], ["logits"]))
    # The penultimate layer, for the user's memory of corrections (issue 28): costs nothing,
    # the value is computed for the logits anyway.
    g.nodes.append(helper.make_node("Identity", [v], ["embedding"]))
    graph = helper.make_graph(
        g.nodes,
        type(model).__name__,
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", "T", cfg.input_dim]),
            helper.make_tensor_value_info("lengths", TensorProto.INT64, ["B"]),
        ],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", cfg.num_classes]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["B", cfg.fc]),
        ],
        g.inits,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="xiezi-trainer"
    )
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    return proto


def externalize(proto: onnx.ModelProto, names: list[str] | set[str]) -> bytes:
    """Serialized copy of ``proto`` whose initializers ``names`` hold no data.

    Each becomes data_location=EXTERNAL at engine.manifest.PACKAGE_LOCATION: the engine
    supplies it with SessionOptions.add_external_initializers.
    """
    out = onnx.ModelProto()
    out.CopyFrom(proto)
    wanted = set(names)
    found = set()
    for t in out.graph.initializer:
        if t.name in wanted:
            found.add(t.name)
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.data_location = TensorProto.EXTERNAL
            del t.external_data[:]
            entry = t.external_data.add()
            entry.key, entry.value = "location", PACKAGE_LOCATION
    if wanted - found:
        raise ValueError(f"no initializer named {sorted(wanted - found)} in the ONNX model")
    return out.SerializeToString()
