"""Worker of the 2-process gloo test (importable by torch.multiprocessing.spawn)."""

from __future__ import annotations

import torch
import torch.distributed as dist
from _spectra_models import small_batch, small_cnn

from pennylane_qsgd.diagnostics.distributed import ShardedHessian
from pennylane_qsgd.diagnostics.spectra import hessian_spectrum, per_layer_spectra
from pennylane_qsgd.optim.support import Support


def run(rank: int, world: int, init_file: str, out_prefix: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        net = small_cnn()
        batch = small_batch(8)
        support = Support.all(net)
        loss = torch.nn.functional.cross_entropy
        v = torch.randn(
            support.size, generator=torch.Generator().manual_seed(5), dtype=torch.float64
        )
        out = {"hv": ShardedHessian(net, loss, batch, support)(v)}
        dens = hessian_spectrum(
            net, loss, batch, support, method="slq", steps=20, probes=2, hvp_mode="reverse"
        )
        out["nodes"], out["weights"] = torch.as_tensor(dens.nodes), torch.as_tensor(dens.weights)
        layers = per_layer_spectra(net, loss, batch, support, steps=6, hvp_mode="reverse")
        out["layers"] = {k: torch.as_tensor(d.nodes) for k, d in layers.items()}
        try:
            ShardedHessian(net, loss, small_batch(7), support)
        except ValueError as err:
            out["error"] = str(err)
        net.train()
        try:
            ShardedHessian(net, loss, batch, support)
        except ValueError as err:
            out["train_error"] = str(err)
        torch.save(out, f"{out_prefix}{rank}.pt")
    finally:
        dist.destroy_process_group()
