"""SLQ throughput: Lanczos steps per second in one process and under ``torchrun`` (gloo, CPU).

Both runs do the same Lanczos iteration on the same pruned model and batch (generated
CIFAR-shaped images, batch norm in eval mode as in ``qsgd spectrum``): the single process with
``--threads`` torch threads, the data-parallel run with ``--nproc`` processes of
``threads / nproc`` threads each, every rank computing the Hessian-vector product of its shard
and all-reducing it (:class:`pennylane_qsgd.diagnostics.distributed.ShardedHessian`). The same
number of cores either way, so the ratio says whether data parallelism beats torch's intra-op
threads. It also prints how far the Lanczos coefficients of the two runs are apart.

Usage::

    python benchmarks/bench_slq_parallel.py                       # resnet32-4, batch 8, 4 steps
    python benchmarks/bench_slq_parallel.py --arch resnet32-4 --batch 16 --lanczos-steps 8
    python benchmarks/bench_slq_parallel.py --arch mlp --batch 512 --lanczos-steps 32

The data-parallel half runs ``torchrun --nproc-per-node K`` on this file with ``--worker``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import torch

from pennylane_qsgd.data import cifar_like, load_digits_tensors
from pennylane_qsgd.diagnostics import distributed as dd
from pennylane_qsgd.diagnostics.krylov import lanczos_probes
from pennylane_qsgd.models import build_model
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support

LOSS = torch.nn.functional.cross_entropy


def _problem(arch: str, batch: int):
    torch.manual_seed(0)
    if arch == "mlp":
        model = build_model("mlp", hidden=(32, 32))
        split = load_digits_tensors()
        x, y = split.x_train[:batch], split.y_train[:batch]
    else:
        model = build_model(arch)
        x, y = cifar_like(batch, seed=0)
    global_l1_prune(model, amount=0.9)
    return model.eval(), (x, y), Support.from_masks(model)


def _measure(args) -> dict:
    """Time ``args.lanczos_steps`` Lanczos steps after one warm-up product."""
    torch.set_num_threads(args.threads)
    model, batch, support = _problem(args.arch, args.batch)
    op = dd.ShardedHessian(model, LOSS, batch, support, mode=args.hvp_mode)
    op(torch.ones(support.size, dtype=torch.float64))  # warm-up (and the reverse-mode graph)
    start = time.perf_counter()
    ((alpha, beta),) = lanczos_probes(op, support.size, args.lanczos_steps, 1, seed=0)
    wall = time.perf_counter() - start
    return {
        "world": dd.world_size(),
        "threads_per_process": torch.get_num_threads(),
        "steps": len(alpha),
        "wall_s": wall,
        "steps_per_s": len(alpha) / wall,
        "alpha": alpha.tolist(),
        "beta": beta.tolist(),
        "support": support.size,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="resnet32-4", help="resnet32-4 (default) or mlp")
    parser.add_argument("--batch", type=int, default=8, help="measurement batch (default 8)")
    parser.add_argument("--lanczos-steps", type=int, default=4, help="timed steps (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="cores in total (default 2)")
    parser.add_argument("--nproc", type=int, default=2, help="processes of the parallel run")
    parser.add_argument("--hvp-mode", default="reverse", choices=("auto", "forward", "reverse"))
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        dd.init_from_env(torch.device("cpu"))
        res = _measure(args)
        if dd.rank() == 0:
            print("RESULT " + json.dumps(res), flush=True)
        torch.distributed.destroy_process_group()
        return res

    single = _measure(args)
    per_proc = max(args.threads // args.nproc, 1)
    one_core = _measure(argparse.Namespace(**{**vars(args), "threads": per_proc}))
    cmd = [
        sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={args.nproc}",
        f"--master-port={_free_port()}", __file__, "--worker",
        f"--arch={args.arch}", f"--batch={args.batch}", f"--lanczos-steps={args.lanczos_steps}",
        f"--threads={per_proc}", f"--hvp-mode={args.hvp_mode}",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(per_proc)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"the torchrun half failed (exit {out.returncode})")
    multi = json.loads(lines[-1][len("RESULT ") :])
    dev = np.max(np.abs(np.subtract(single["alpha"], multi["alpha"])))
    scale = np.max(np.abs(single["alpha"]))
    print(
        f"{args.arch}: support {single['support']:,}, batch {args.batch}, "
        f"{args.lanczos_steps} Lanczos steps, {args.hvp_mode} products, {args.threads} cores"
    )
    print(f"{'run':<34} {'steps/s':>9} {'wall s':>8}")
    print(
        f"{'1 process x ' + str(args.threads) + ' threads':<34} "
        f"{single['steps_per_s']:>9.4f} {single['wall_s']:>8.2f}"
    )
    print(
        f"{'1 process x ' + str(per_proc) + ' thread(s)':<34} "
        f"{one_core['steps_per_s']:>9.4f} {one_core['wall_s']:>8.2f}"
    )
    print(
        f"{'torchrun ' + str(args.nproc) + ' x ' + str(per_proc) + ' thread(s) (gloo)':<34} "
        f"{multi['steps_per_s']:>9.4f} {multi['wall_s']:>8.2f}"
    )
    ratio = multi["steps_per_s"] / single["steps_per_s"]
    print(f"speed-up of the data-parallel run: {ratio:.2f}x (target >= 1)")
    print(
        f"(against one process with {per_proc} thread(s): "
        f"{multi['steps_per_s'] / one_core['steps_per_s']:.2f}x)"
    )
    print(f"max |alpha_1proc - alpha_{args.nproc}proc| / max|alpha| = {dev / scale:.2e}")
    res = {
        "single": single,
        "single_one_core": one_core,
        "parallel": multi,
        "speedup": ratio,
        "alpha_rel_dev": dev / scale,
    }
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
