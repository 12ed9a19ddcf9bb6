"""Rewrite a dynamically quantised ONNX BERT so a text's vector does not depend on its batch mates.

The shipped int8 bge-small quantises every activation per *tensor*: `DynamicQuantizeLinear`
takes one scale and zero point from the min and max of the whole batch, and `MatMulInteger`
multiplies with them. A text's vector thus moved (up to 0.02 per element) with the other texts
of its batch, so it was embedded one text per call. Here each of those quantisations becomes a
per-*token* one (each row of activations gets its own scale, symmetric int8), done with plain
ONNX operators before the same `MatMulInteger` on the same int8 weights:

    x -> Abs -> ReduceMax(last axis) -> Max(eps) -> Div(127) = s      (one scale per token)
    q = Cast<uint8>(Round(x / s) + 128);  y = Cast<float>(MatMulInteger(q, W, 128)) * s * w_scale

A token's integers then depend on that token alone, integer products are exact, and everything
else in BERT (layer norms, attention per sequence) is per token or per sequence, so a text's
vector is the same alone or in any batch of equal padded length; padding changes the length of
the attention sums, which moves results by float rounding only (bench/embed_throughput.py
measures both). Batching keeps the int8 kernels (VNNI), unlike dequantising weights to fp32,
which measured ~2x slower here. Per-token scales are also finer than one per batch.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelError

REWRITE_VERSION = "per-token-int8/1"  # recorded in the embedder's fingerprint
_INT8_MAX = 127.0
_ZERO = 128  # symmetric values stored as uint8 around 128: onnxruntime's fast kernels take uint8 x int8
_EPS = 1e-12  # a token of zeros gets this scale instead of a division by zero


def per_token_model(onnx_path: Path) -> bytes:
    """The model at `onnx_path` with per-token activation quantisation, serialised for
    onnxruntime; ModelError if `onnx` is missing or the graph is not the expected pattern."""
    try:
        import onnx
    except ImportError as exc:  # a dependency of the product: a broken install
        raise ModelError("the `onnx` package is missing; reinstall with `pip install onnx`") from exc
    model = onnx.load(str(onnx_path))
    _rewrite(model.graph, onnx)
    return bytes(model.SerializeToString())


def _rewrite(graph: Any, onnx: Any) -> None:
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    inits = {i.name: i for i in graph.initializer}
    made_by = {out: node for node in graph.node for out in node.output}
    users: dict[str, list[Any]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            users[name].append(node)
    quantised: dict[str, tuple[str, str]] = {}  # activation -> (int8 tensor, per-token scale)
    replaced: dict[int, list[Any]] = {}
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        offset = inits.get(node.input[3]) if len(node.input) > 3 else None
        if offset is not None and np.any(numpy_helper.to_array(offset)):
            raise ModelError(f"unexpected quantised graph at {node.name}: weights with a zero offset")
        cast, scale_mul, weight_scale = _pattern(node, made_by, users, inits)
        activation = made_by[node.input[0]].input[0]
        new: list[Any] = []
        if activation not in quantised:
            quantised[activation] = _quantise_nodes(activation, new, helper, onnx.TensorProto)
        q, scale = quantised[activation]
        out = node.output[0] + "_per_token"
        new += [
            helper.make_node("MatMulInteger", [q, node.input[1], "per_token_zero"], [out]),
            helper.make_node("Cast", [out], [out + "_f"], to=onnx.TensorProto.FLOAT),
            helper.make_node("Mul", [out + "_f", scale], [out + "_s"]),
            helper.make_node("Mul", [out + "_s", weight_scale], [scale_mul.output[0]]),
        ]
        replaced[id(node)] = new
        dropped |= {id(cast), id(scale_mul)}
    if not replaced:
        raise ModelError("the ONNX model has no MatMulInteger to rewrite; is it the shipped int8 export?")
    nodes = [n for node in graph.node if id(node) not in dropped for n in replaced.get(id(node), [node])]
    nodes = _live(nodes, {o.name for o in graph.output})
    used = {name for node in nodes for name in node.input}
    constants = [
        numpy_helper.from_array(np.array(_INT8_MAX, np.float32), "per_token_int8_max"),
        numpy_helper.from_array(np.array(_EPS, np.float32), "per_token_eps"),
        numpy_helper.from_array(np.array(_ZERO, np.uint8), "per_token_zero"),
        numpy_helper.from_array(np.array(_ZERO, np.float32), "per_token_zero_f"),
    ]
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + constants)


def _pattern(
    node: Any, made_by: dict[str, Any], users: dict[str, list[Any]], inits: dict[str, Any]
) -> tuple[Any, Any, str]:
    """(Cast, Mul by the scales, the weights' scale) around a MatMulInteger fed by
    DynamicQuantizeLinear and constant weights; ModelError for anything else."""
    quantiser = made_by.get(node.input[0])
    followers = users.get(node.output[0], [])
    if quantiser is None or quantiser.op_type != "DynamicQuantizeLinear" or node.input[1] not in inits:
        raise ModelError(f"unexpected quantised graph at {node.name}: activations not quantised dynamically")
    if len(followers) != 1 or followers[0].op_type != "Cast" or len(users.get(followers[0].output[0], [])) != 1:
        raise ModelError(f"unexpected quantised graph at {node.name}: no Cast -> Mul after it")
    cast = followers[0]
    scale_mul = users[cast.output[0]][0]
    scales = made_by.get(next(i for i in scale_mul.input if i != cast.output[0]))
    weight_scale = next((i for i in (scales.input if scales is not None else []) if i in inits), None)
    if scale_mul.op_type != "Mul" or weight_scale is None:
        raise ModelError(f"unexpected quantised graph at {node.name}: no weight scale")
    return cast, scale_mul, weight_scale


def _quantise_nodes(x: str, out: list[Any], helper: Any, tensor_proto: Any) -> tuple[str, str]:
    """Append the nodes quantising `x` per token (last axis), symmetric, stored as uint8 = 128 +
    round(x / s); returns (quantised name, scale name)."""
    p = x + "_per_token"
    out += [
        helper.make_node("Abs", [x], [p + "_abs"]),
        helper.make_node("ReduceMax", [p + "_abs"], [p + "_max"], axes=[-1], keepdims=1),
        helper.make_node("Max", [p + "_max", "per_token_eps"], [p + "_max_eps"]),
        helper.make_node("Div", [p + "_max_eps", "per_token_int8_max"], [p + "_scale"]),
        helper.make_node("Div", [x, p + "_scale"], [p + "_scaled"]),
        helper.make_node("Round", [p + "_scaled"], [p + "_round"]),
        helper.make_node("Add", [p + "_round", "per_token_zero_f"], [p + "_shifted"]),
        helper.make_node("Cast", [p + "_shifted"], [p + "_q"], to=tensor_proto.UINT8),
    ]
    return p + "_q", p + "_scale"


def _live(nodes: list[Any], outputs: set[str]) -> list[Any]:
    """`nodes` without those whose outputs nothing uses (the old quantisers), in order."""
    while True:
        used = outputs | {name for node in nodes for name in node.input}
        kept = [node for node in nodes if any(o in used for o in node.output)]
        if len(kept) == len(nodes):
            return kept
        nodes = kept
