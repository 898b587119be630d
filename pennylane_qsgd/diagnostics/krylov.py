"""Lanczos runs of stochastic Lanczos quadrature on torch tensors, with checkpoint and resume.

The same iteration as :func:`pennylane_qsgd.core.lanczos.lanczos` (full re-orthogonalisation,
classical Gram-Schmidt twice, stop when ``beta <= 1e-10`` times the largest coefficient so far)
with the vectors kept as torch tensors on the device of the products (a GPU for the paper's
ResNets), the probes drawn as in :func:`pennylane_qsgd.diagnostics.spectra.slq_density`, and the
whole state (finished probes, the current probe's coefficients and basis) written atomically to a
checkpoint file, so that a run of hundreds of Hessian-vector products survives an interruption:
a second call with the same arguments continues where the file says and gives the same
coefficients as an uninterrupted run.

Under ``torch.distributed`` every rank runs the same iteration on its own copy of the vectors
(the products are all-reduced, so all ranks see the same numbers); only rank 0 writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from pennylane_qsgd.diagnostics.checkpoint import atomic_torch_save, torch_load

TensorOp = Callable[[torch.Tensor], torch.Tensor]

#: Relative size of ``beta`` below which the Krylov space counts as invariant (as in the core).
BREAKDOWN_TOL = 1e-10


def _rank() -> int:
    dist = torch.distributed
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {name}={value!r}")
    return int(value)


def rademacher_probes(dim: int, probes: int, seed: int) -> Iterator[np.ndarray]:
    """The probes of :func:`~pennylane_qsgd.diagnostics.spectra.slq_density` (same seed, same
    vectors): ``probes`` Rademacher vectors of length ``dim`` from ``default_rng(seed)``, drawn
    one at a time (a generator: only one vector of ``dim`` floats is held)."""
    rng = np.random.default_rng(seed)
    for _ in range(probes):
        yield rng.choice([-1.0, 1.0], size=dim)


class _Probe:
    """State of one Lanczos run after ``len(alpha)`` steps (everything needed to continue)."""

    def __init__(self, v0: torch.Tensor, steps: int, basis_dtype: torch.dtype) -> None:
        self.alpha: list[float] = []
        self.beta: list[float] = []
        self.basis = torch.empty(steps, v0.numel(), dtype=basis_dtype, device=v0.device)
        self.v = v0 / torch.linalg.vector_norm(v0)
        self.v_prev = torch.zeros_like(self.v)
        self.b_prev = 0.0
        self.scale = 0.0
        self.finished = False

    def state(self) -> dict:
        j = len(self.alpha)
        return {
            "alpha": list(self.alpha),
            "beta": list(self.beta),
            "basis": self.basis[:j].cpu(),
            "v": self.v.cpu(),
            "v_prev": self.v_prev.cpu(),
            "b_prev": self.b_prev,
            "scale": self.scale,
        }

    def load(self, state: dict) -> None:
        device = self.v.device
        self.alpha, self.beta = list(state["alpha"]), list(state["beta"])
        j = len(self.alpha)
        self.basis[:j] = state["basis"].to(device=device, dtype=self.basis.dtype)
        self.v = state["v"].to(device=device, dtype=torch.float64)
        self.v_prev = state["v_prev"].to(device=device, dtype=torch.float64)
        self.b_prev, self.scale = float(state["b_prev"]), float(state["scale"])

    def step(self, op: TensorOp) -> None:
        """One Lanczos step: a product, the coefficients and the next (re-orthogonalised) vector."""
        j = len(self.alpha)
        m = self.basis.shape[0]
        self.basis[j] = self.v.to(self.basis.dtype)
        w = op(self.v).to(torch.float64)
        if not bool(torch.isfinite(w).all()):
            raise FloatingPointError(
                f"the operator returned NaN or Inf at Lanczos step {j} (the loss or its "
                "curvature is not finite at this point: check the learning rate and the data)"
            )
        a = float(self.v @ w)
        w = w - a * self.v - self.b_prev * self.v_prev
        block = self.basis[: j + 1]
        for _ in range(2):
            coeffs = block @ w.to(block.dtype)
            w = w - (block.T @ coeffs).to(torch.float64)
        b = float(torch.linalg.vector_norm(w))
        self.scale = max(self.scale, abs(a), b)
        self.alpha.append(a)
        if j == m - 1 or b <= BREAKDOWN_TOL * self.scale:
            self.finished = True
            return
        self.beta.append(b)
        self.v_prev, self.v, self.b_prev = self.v, w / b, b


def lanczos_probes(
    op: TensorOp,
    dim: int,
    steps: int,
    probes: int = 1,
    seed: int = 0,
    *,
    device: torch.device | str = "cpu",
    basis_dtype: torch.dtype = torch.float64,
    checkpoint: str | Path | None = None,
    checkpoint_seconds: float = 60.0,
    progress: bool = False,
    desc: str = "SLQ",
    tag: str = "",
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Lanczos coefficients of ``probes`` runs from Rademacher probes, resumable.

    Parameters
    ----------
    op : callable
        ``v (dim,) float64 tensor on device -> A v`` for a symmetric ``A``.
    dim : int
    steps : int
        Lanczos steps per probe (clipped to ``dim``).
    probes : int
    seed : int
        Seed of the probes (:func:`rademacher_probes`).
    device : torch.device or str
        Where the vectors live (that of the products).
    basis_dtype : torch.dtype
        Storage of the Lanczos basis (``float32`` halves its ``steps * dim`` memory).
    checkpoint : path, optional
        File of the resumable state. If it exists and was written for the same ``dim``,
        ``steps``, ``probes``, ``seed`` and ``tag``, the run continues from it; a file of another
        run is refused (``ValueError``). Written atomically by rank 0 at the end of each probe,
        every ``checkpoint_seconds`` and when the run is interrupted (the last complete step:
        an exception in a product leaves the file at the step before it).
    checkpoint_seconds : float
        Minimum seconds between two writes inside a probe (0: after every step).
    progress : bool
        A tqdm bar per probe (rank 0 only).
    desc : str
        Label of the bars.
    tag : str
        Identifies the operator in the checkpoint (e.g. the fine-tuning step it belongs to).

    Returns
    -------
    list of (alpha, beta)
        Per probe, the diagonal ``(k,)`` and off-diagonal ``(k - 1,)`` of :math:`T_k`.
    """
    n = _positive(dim, "dim")
    m = min(_positive(steps, "steps"), n)
    n_probes = _positive(probes, "probes")
    device = torch.device(device)
    key = {"dim": n, "steps": m, "probes": n_probes, "seed": int(seed), "tag": str(tag)}
    done: list[tuple[list[float], list[float]]] = []
    current: dict | None = None
    path = None if checkpoint is None else Path(checkpoint)
    if path is not None and path.exists():
        saved = torch_load(path)
        if saved.get("key") != key:
            raise ValueError(
                f"checkpoint {path} belongs to another run ({saved.get('key')}); expected {key}: "
                "remove it or choose another checkpoint path"
            )
        done = [(list(a), list(b)) for a, b in saved["done"]]
        current = saved.get("current")
    writer = path is not None and _rank() == 0

    def save(probe: _Probe | None) -> None:
        if writer:
            state = {"key": key, "done": done, "current": None if probe is None else probe.state()}
            atomic_torch_save(state, path)

    for p, vector in enumerate(rademacher_probes(n, n_probes, seed)):
        if p < len(done):  # drawn all the same, so that the later probes are the same vectors
            continue
        v0 = torch.as_tensor(vector, dtype=torch.float64, device=device)
        probe = _Probe(v0, m, basis_dtype)
        if current is not None:
            probe.load(current)
            current = None
        bar = tqdm(
            total=m,
            initial=len(probe.alpha),
            desc=f"{desc} probe {p + 1}/{n_probes}",
            disable=not progress or _rank() != 0,
            leave=False,
        )
        last = time.monotonic()
        try:
            while not probe.finished:
                probe.step(op)
                bar.update(1)
                if time.monotonic() - last >= checkpoint_seconds and not probe.finished:
                    save(probe)
                    last = time.monotonic()
        except BaseException:
            # the probe holds the last complete step: keep it (KeyboardInterrupt included)
            save(probe)
            raise
        finally:
            bar.close()
        done.append((probe.alpha, probe.beta))
        save(None)
    return [(np.asarray(a), np.asarray(b)) for a, b in done]
