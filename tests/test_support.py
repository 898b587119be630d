"""Tests of Support: selection, gather/scatter on dense and pruned modules, serialisation."""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils import prune

from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support


def mlp(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def flat_params(module: nn.Module) -> dict[str, np.ndarray]:
    return {n: p.detach().numpy().ravel().copy() for n, p in module.named_parameters()}


def test_from_indices_gather_matches_direct_indexing():
    net = mlp()
    sup = Support.from_indices(net, {"2.bias": [1], "0.weight": [5, 0, 7]})
    assert sup.size == len(sup) == 4
    assert sup.parameter_names == ("2.bias", "0.weight")
    w = net[0].weight.detach().numpy().ravel()
    expected = np.array([net[2].bias[1].item(), w[0], w[5], w[7]])  # indices sorted per entry
    got = sup.gather(net)
    assert got.dtype == torch.float64
    np.testing.assert_array_equal(got.numpy(), expected)
    got[0] = 99.0  # a copy: the module is untouched
    assert net[2].bias[1].item() != 99.0


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_scatter_writes_exactly_the_selected_entries(data):
    net = mlp()
    before = flat_params(net)
    chosen = {}
    for name, arr in before.items():
        idx = data.draw(st.sets(st.integers(0, arr.size - 1), max_size=arr.size), label=name)
        if idx:
            chosen[name] = sorted(idx)
    if not chosen:
        chosen = {"0.bias": [0]}
    sup = Support.from_indices(net, chosen)
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    values = np.random.default_rng(seed).normal(size=sup.size)
    sup.scatter_(net, values)
    after = flat_params(net)
    expected = {k: v.copy() for k, v in before.items()}
    pos = 0
    for name in chosen:  # entry order follows the mapping, indices sorted within
        for i in chosen[name]:
            expected[name][i] = values[pos]
            pos += 1
    for name in before:
        np.testing.assert_array_equal(after[name], expected[name])
    np.testing.assert_array_equal(sup.gather(net).numpy(), values)


def test_gather_scatter_round_trip_is_identity():
    net = mlp()
    before = flat_params(net)
    sup = Support.all(net)
    sup.scatter_(net, sup.gather(net))
    for name, arr in flat_params(net).items():
        np.testing.assert_array_equal(arr, before[name])
    assert sup.size == sum(p.numel() for p in net.parameters())


def pruned_mlp():
    net = mlp(1)
    global_l1_prune(net, 0.5, exclude_last=False)
    return net


def test_from_masks_on_pruned_module():
    net = pruned_mlp()
    sup = Support.from_masks(net)
    assert sup.parameter_names == ("0.weight_orig", "2.weight_orig")
    assert sup.size == int(net[0].weight_mask.sum() + net[2].weight_mask.sum())
    for (_, idx), mod in zip(sup.entries, (net[0], net[2]), strict=True):
        mask = mod.weight_mask.numpy().ravel()
        np.testing.assert_array_equal(idx.numpy(), np.flatnonzero(mask))
    full = Support.from_masks(net, include_unmasked=True)
    assert full.parameter_names == ("0.bias", "0.weight_orig", "2.bias", "2.weight_orig")
    assert full == Support.all(net)
    assert Support.all(net, respect_masks=False).size == sum(p.numel() for p in net.parameters())


def test_scatter_on_pruned_module_keeps_pruned_entries_zero():
    net = pruned_mlp()
    sup = Support.from_masks(net, include_unmasked=True)
    orig_pruned = net[0].weight_orig.detach()[net[0].weight_mask == 0].clone()
    rng = np.random.default_rng(3)
    values = rng.normal(size=sup.size)
    sup.scatter_(net, values)
    np.testing.assert_array_equal(sup.gather(net).numpy(), values)
    for mod in (net[0], net[2]):
        # the forward attribute is refreshed at once and is zero where pruned
        assert torch.all(mod.weight[mod.weight_mask == 0] == 0)
        torch.testing.assert_close(mod.weight, mod.weight_orig * mod.weight_mask)
    # entries outside the support (pruned ones) of weight_orig are not touched
    torch.testing.assert_close(net[0].weight_orig.detach()[net[0].weight_mask == 0], orig_pruned)
    # the forward pass uses weight_orig * mask (independent computation)
    x = torch.randn(5, 3, dtype=torch.float64)
    h = torch.tanh(x @ (net[0].weight_orig * net[0].weight_mask).T + net[0].bias)
    ref = h @ (net[2].weight_orig * net[2].weight_mask).T + net[2].bias
    torch.testing.assert_close(net(x), ref)


def test_pruned_indices_are_refused_or_kept_zero():
    net = pruned_mlp()
    mask = net[0].weight_mask.numpy().ravel()
    dead = int(np.flatnonzero(mask == 0)[0])
    alive = int(np.flatnonzero(mask == 1)[0])
    with pytest.raises(ValueError, match="pruned"):
        Support.from_indices(net, {"0.weight": [dead, alive]})
    sup = Support.from_indices(net, {"0.weight": [dead, alive]}, allow_pruned=True)
    assert sup.parameter_names == ("0.weight_orig",)  # forward name mapped to the parameter
    sup.scatter_(net, np.array([5.0, 6.0]) if dead < alive else np.array([6.0, 5.0]))
    assert net[0].weight_orig.detach().ravel()[dead].item() == 0.0
    assert net[0].weight_orig.detach().ravel()[alive].item() == pytest.approx(6.0)
    assert net[0].weight.detach().ravel()[dead].item() == 0.0


def test_top_k_matches_numpy_ranking():
    net = pruned_mlp()
    cand = Support.from_masks(net, include_unmasked=True)
    vals = cand.gather(net).numpy()
    k = 7
    sup = Support.top_k(net, k)
    assert sup.size == k
    chosen = np.sort(np.abs(sup.gather(net).numpy()))
    np.testing.assert_array_equal(chosen, np.sort(np.abs(vals))[-k:])
    # pruned entries are never candidates
    for name, idx in sup.entries:
        if name.endswith("_orig"):
            layer = net[int(name.split(".")[0])]
            assert torch.all(layer.weight_mask.ravel()[idx] == 1)
    within = Support.from_masks(net)
    sub = Support.top_k(net, 3, within=within)
    assert set(sub.parameter_names) <= set(within.parameter_names)
    expected = np.sort(np.abs(within.gather(net).numpy()))[-3:]
    np.testing.assert_array_equal(np.sort(np.abs(sub.gather(net).numpy())), expected)
    masks = {"2.bias": torch.tensor([True, False])}
    assert Support.top_k(net, 1, within=masks).entries[0][0] == "2.bias"
    with pytest.raises(ValueError, match="k must lie"):
        Support.top_k(net, cand.size + 1)
    with pytest.raises(ValueError, match="k must lie"):
        Support.top_k(net, 0)
    with pytest.raises(ValueError, match="by"):
        Support.top_k(net, 2, by="gradient")


def test_state_round_trip_through_json_and_float_casting():
    net = pruned_mlp()
    sup = Support.top_k(net, 9)
    state = sup.to_state()
    assert Support.from_state(json.loads(json.dumps(state))) == sup
    # what Optimizer.load_state_dict would do to tensors: cast them to the parameter dtype
    items = state["entries"].items()
    cast = {"entries": {n: torch.tensor(i, dtype=torch.float32) for n, i in items}}
    assert Support.from_state(cast) == sup
    floats = {"entries": [[n, [float(v) for v in i]] for n, i in items]}
    assert Support.from_state(floats) == sup
    # survives a real optimizer state_dict round trip
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    p0 = next(iter(net.parameters()))
    opt.state[p0]["support"] = state
    opt2 = torch.optim.SGD(net.parameters(), lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    assert Support.from_state(opt2.state[p0]["support"]) == sup
    assert hash(Support.from_state(state)) == hash(sup)


def test_validation_errors():
    net = mlp()
    with pytest.raises(ValueError, match="empty"):
        Support([])
    with pytest.raises(ValueError, match="empty"):
        Support.from_indices(net, {})
    with pytest.raises(ValueError, match="empty index list"):
        Support.from_indices(net, {"0.bias": []})
    with pytest.raises(ValueError, match="does not have"):
        Support.from_indices(net, {"nope.weight": [0]})
    with pytest.raises(ValueError, match="out of range"):
        Support.from_indices(net, {"0.bias": [4]})
    with pytest.raises(ValueError, match="non-negative"):
        Support.from_indices(net, {"0.bias": [-1]})
    with pytest.raises(ValueError, match="duplicates"):
        Support.from_indices(net, {"0.bias": [1, 1]})
    with pytest.raises(ValueError, match="integers"):
        Support.from_indices(net, {"0.bias": [0.5]})
    with pytest.raises(TypeError, match="boolean"):
        Support.from_indices(net, {"0.bias": np.array([True, False, True, False])})
    with pytest.raises(ValueError, match="twice"):
        Support([("0.bias", [0]), ("0.bias", [1])])
    with pytest.raises(ValueError, match="no pruning mask"):
        Support.from_masks(net)
    with pytest.raises(ValueError, match="'entries'"):
        Support.from_state({"idx": []})
    sup = Support.from_indices(net, {"0.bias": [0, 1]})
    with pytest.raises(ValueError, match="shape"):
        sup.scatter_(net, np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        sup.scatter_(net, np.array([np.nan, 0.0]))
    other = nn.Linear(3, 4)
    with pytest.raises(ValueError, match="does not have"):
        sup.gather(other)


def test_fully_pruned_tensor_is_skipped():
    net = mlp()
    prune.l1_unstructured(net[0], "weight", amount=1.0)
    prune.l1_unstructured(net[2], "weight", amount=0.5)
    sup = Support.from_masks(net)
    assert sup.parameter_names == ("2.weight_orig",)
    masks = sup.to_masks(net)
    torch.testing.assert_close(masks["2.weight_orig"], net[2].weight_mask.bool())


def test_non_contiguous_parameter_uses_row_major_indices():
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 2).to(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()
    sup = Support.from_indices(conv, {"weight": [0, 5, 17]})
    flat = conv.weight.detach().contiguous().numpy().ravel()
    np.testing.assert_array_equal(sup.gather(conv).numpy(), flat[[0, 5, 17]].astype(np.float64))
    sup.scatter_(conv, np.array([1.0, 2.0, 3.0]))
    expected = flat.copy()
    expected[[0, 5, 17]] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(conv.weight.detach().contiguous().numpy().ravel(), expected)
