"""models/realavs/quantize.py (QDQ int8 rewrite of IS-Net's feature graph) and the output gate."""
import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from models.ccformer.model import SaliencyRefiner  # noqa: E402
from models.realavs import quantize as qz  # noqa: E402

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3
B1 = RNG.standard_normal(4).astype(np.float32) * 0.1
W2 = RNG.standard_normal((4, 8, 3, 3)).astype(np.float32) * 0.2
B2 = RNG.standard_normal(4).astype(np.float32) * 0.1


def _rsu_like():
    """image -> conv+relu (a) -> maxpool (p) -> concat(p, p) -> conv+relu (feat, a graph output)."""
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["a"]),
        helper.make_node("MaxPool", ["a"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Concat", ["p", "p"], ["cat"], axis=1),
        helper.make_node("Conv", ["cat", "W2", "B2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Relu", ["c2"], ["feat"]),
    ]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("feat", TensorProto.FLOAT, [1, 4, 4, 4])],
                          [numpy_helper.from_array(W1, "W1"), numpy_helper.from_array(B1, "B1"),
                           numpy_helper.from_array(W2, "W2"), numpy_helper.from_array(B2, "B2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])
    m.ir_version = 8
    return m


def _ranges(x):
    """Per-image min/max of every tensor the plan calibrates, computed in torch (as calibrate.ts would)."""
    t = torch.from_numpy(x)
    a = torch.relu(torch.nn.functional.conv2d(t, torch.from_numpy(W1), torch.from_numpy(B1), padding=1))
    p = torch.nn.functional.max_pool2d(a, 2)
    cat = torch.cat([p, p], 1)
    feat = torch.relu(torch.nn.functional.conv2d(cat, torch.from_numpy(W2), torch.from_numpy(B2), padding=1))
    vals = {"input": t, "a": a, "cat": cat, "feat": feat}
    return {k: {"min": [float(v.min())], "max": [float(v.max())]} for k, v in vals.items()}, feat.numpy()


def test_plan_quantizes_relu_outputs_conv_inputs_and_lets_maxpool_share_its_input_parameters():
    # 1.1.0's plan (convs only): the MaxPool output feeds Concat, not a Conv, so it is not quantized
    assert qz.plan(_rsu_like(), full=False) == {"a": "relu", "feat": "relu", "input": "minmax", "cat": "minmax"}
    # the full plan (the default): the MaxPool output is quantized with its input's parameters, so the
    # Concat reads two dequantized inputs and writes a quantized output (onnxruntime: QLinearConcat)
    assert qz.plan(_rsu_like()) == {"a": "relu", "feat": "relu", "input": "minmax", "cat": "minmax", "p": ("same", "a")}


def _residual_up():
    """IS-Net's RSU tail and decoder step: relu(conv a) + relu(conv b) -> s; resize(s) -> u; maxpool(u) -> m;
    concat(m, a') -> conv."""
    rng = np.random.default_rng(1)
    w = {k: numpy_helper.from_array(rng.standard_normal(sh).astype(np.float32) * 0.3, k)
         for k, sh in (("Wa", (4, 3, 3, 3)), ("Wb", (4, 4, 3, 3)), ("Wc", (2, 8, 3, 3)))}
    nodes = [
        helper.make_node("Conv", ["input", "Wa"], ["ca"], pads=[1, 1, 1, 1], name="conva"),
        helper.make_node("Relu", ["ca"], ["a"]),
        helper.make_node("Conv", ["a", "Wb"], ["cb"], pads=[1, 1, 1, 1], name="convb"),
        helper.make_node("Relu", ["cb"], ["b"]),
        helper.make_node("Add", ["a", "b"], ["s"]),
        helper.make_node("Resize", ["s", "", "scales"], ["u"], mode="linear"),
        helper.make_node("MaxPool", ["u"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Concat", ["m", "a"], ["cat"], axis=1),
        helper.make_node("Conv", ["cat", "Wc"], ["out"], pads=[1, 1, 1, 1], name="convc"),
    ]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 2, 8, 8])],
                          list(w.values()) + [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])
    m.ir_version = 8
    return m


def test_full_plan_quantizes_residual_adds_and_carries_parameters_through_resize_and_maxpool():
    plan = qz.plan(_residual_up())
    assert plan["s"] == "minmax"                              # the Add: QLinearAdd
    assert plan["u"] == ("same", "s") and plan["m"] == ("same", "s")   # uint8 Resize and MaxPool
    assert plan["cat"] == "minmax"                            # QLinearConcat
    assert "out" not in plan                                  # a Conv without ReLU writes float
    assert qz.plan(_residual_up(), full=False) == {"a": "relu", "b": "relu", "input": "minmax", "cat": "minmax"}
    ranges = {k: {"min": [0.0], "max": [2.0]} for k in ("a", "b", "s", "cat")}
    ranges["input"] = {"min": [-0.5], "max": [0.5]}
    m = qz.quantize(_residual_up(), ranges, "mean")
    onnx.checker.check_model(m)
    ini = _inits(m)
    prod = {o: n for n in m.graph.node for o in n.output}
    # the Resize and MaxPool outputs go through a Q -> DQ pair with the Add's scale and zero point
    for t in ("u", "m"):
        assert prod[t].op_type == "DequantizeLinear"
        assert float(ini[t + "_scale"]) == float(ini["s_scale"]) and int(ini[t + "_zp"]) == int(ini["s_zp"])
    # every input of the Add and the Concat is dequantized
    for n in m.graph.node:
        if n.op_type in ("Add", "Concat"):
            assert all(prod[x].op_type == "DequantizeLinear" for x in n.input)


def _inits(m):
    return {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}


def _simulate(m, x):
    """Runs the QDQ graph of _rsu_like with numpy/torch, operator by operator (onnx's reference
    evaluator is not in Debian's python3-onnx 1.12)."""
    env = {"input": torch.from_numpy(x)}
    ini = {k: torch.from_numpy(v.astype(np.float64 if v.dtype != np.float32 else np.float32)) for k, v in _inits(m).items()}
    for n in m.graph.node:
        i = [env[v] if v in env else ini[v] for v in n.input if v]
        at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "QuantizeLinear":
            y = torch.clamp(torch.round(i[0].double() / i[1]) + i[2], 0, 255)
        elif n.op_type == "DequantizeLinear":
            ax = at.get("axis", 1)
            s, z = i[1], i[2]
            if s.dim() == 1:
                shape = [1] * i[0].dim()
                shape[ax] = -1
                s, z = s.reshape(shape), z.reshape(shape)
            y = ((i[0].double() - z) * s).float()
        elif n.op_type == "Conv":
            y = torch.nn.functional.conv2d(i[0].float(), i[1].float(), i[2].float() if len(i) > 2 else None, padding=at["pads"][0])
        elif n.op_type == "Relu":
            y = torch.relu(i[0])
        elif n.op_type == "MaxPool":
            y = torch.nn.functional.max_pool2d(i[0], at["kernel_shape"], at["strides"])
        elif n.op_type == "Concat":
            y = torch.cat(i, at["axis"])
        else:
            raise AssertionError(n.op_type)
        env[n.output[0]] = y
    return env[m.graph.output[0].name].numpy()


def test_quantize_writes_7bit_int8_weights_int32_biases_and_qdq_pairs_that_onnx_accepts_and_stay_close_to_fp32():
    x = (RNG.integers(0, 256, (1, 3, 8, 8)).astype(np.float32) - 128) / 256
    x[0, 0, 0, :2] = -0.5, 127 / 256      # black and white are in the picture
    ranges, want = _ranges(x)
    m = qz.quantize(_rsu_like(), ranges, "max")
    onnx.checker.check_model(m)
    ini = _inits(m)
    assert ini["conv1_Wq"].dtype == np.int8 and ini["conv2_Wq"].dtype == np.int8
    assert ini["conv1_Bq"].dtype == np.int32
    # per output channel, symmetric, 7 bits: the largest |w| of each channel maps to 63, so a uint8 x int8
    # pair sum (vpmaddubsw on AVX2 CPUs without VNNI) stays inside int16
    assert np.allclose(ini["conv1_Ws"], np.abs(W1).reshape(4, -1).max(1) / 63, rtol=1e-6)
    assert np.abs(ini["conv1_Wq"]).reshape(4, -1).max(1).tolist() == [63] * 4
    for k in ("conv1_Wq", "conv2_Wq"):
        assert 255 * int(np.abs(ini[k]).max()) * 2 <= 32767
    # bias scale = input scale x weight scale (what QLinearConv takes)
    assert np.allclose(ini["conv1_Bs"], ini["input_scale"] * ini["conv1_Ws"], rtol=1e-6)
    # the image's quantizer: 256 grey levels of (x - 128) / 256 are exact in uint8
    assert abs(float(ini["input_scale"]) - 1 / 256) < 1e-3 / 256
    # every conv reads dequantized tensors; the ReLU outputs go through Q -> DQ under their old names
    prod = {o: n for n in m.graph.node for o in n.output}
    for conv in (n for n in m.graph.node if n.op_type == "Conv"):
        assert prod[conv.input[0]].op_type == "DequantizeLinear"
        assert prod[conv.input[1]].op_type == "DequantizeLinear"
    assert prod["feat"].op_type == "DequantizeLinear" and prod["a"].op_type == "DequantizeLinear"
    # numerically the int8 graph stays close to fp32: within 5 % of the output's range (7-bit weights
    # over 27 and 72 products; a wrong bias or weight scale is off by far more)
    got = _simulate(m, x)
    assert np.abs(got - want).max() < 0.05 * want.max(), (np.abs(got - want).max(), want.max())
    assert np.abs(got - want).max() > 0      # it did quantize


def test_mean_ranges_are_narrower_than_max_ranges():
    rs = {"a": {"min": [0.0, 0.0], "max": [1.0, 3.0]}, "feat": {"min": [0.0, 0.0], "max": [2.0, 2.0]},
          "input": {"min": [-0.5, -0.5], "max": [0.49, 0.49]}, "cat": {"min": [0.0, 0.0], "max": [1.0, 3.0]}}
    mx = _inits(qz.quantize(_rsu_like(), rs, "max"))
    mean = _inits(qz.quantize(_rsu_like(), rs, "mean"))
    assert float(mx["a_scale"]) == pytest.approx(3.0 / 255)
    assert float(mean["a_scale"]) == pytest.approx(2.0 / 255)


def test_output_gate_keeps_isnet_outline_where_the_head_hears_something_and_nothing_in_silence():
    torch.manual_seed(0)
    sal = torch.full((1, 1, 16, 16), -5.0)
    sal[..., 2:6, 2:6] = 6.0        # object A
    sal[..., 10:14, 10:14] = 6.0    # object B
    head = torch.full((1, 1, 8, 8), -8.0)
    head[..., 1:2, 1:2] = 4.0        # the head hears A (coarse, offset blob)
    r = SaliencyRefiner(skip=True, gate=7)
    with torch.no_grad():
        out = r(head, sal)
        assert (out[..., 2:6, 2:6] > 0).all()          # A's whole outline, from IS-Net
        assert (out[..., 10:14, 10:14] <= 0).all()     # B is silent
        assert (out <= sal.clamp(-12, 12) + 1e-6).all()
        silent = r(torch.full((1, 1, 8, 8), -8.0), sal)
        assert (silent <= 0).all()
    r0 = SaliencyRefiner(skip=True, gate=0)
    with torch.no_grad():
        assert not torch.equal(r0(head, sal), out)
