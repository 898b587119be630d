"""benchmarks/gpu_check.sh: valid bash, and a clear exit where torch sees no GPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"


def test_script_parses():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def test_without_cuda_it_says_so_in_the_output_file(tmp_path):
    if torch.cuda.is_available():  # a GPU machine runs the real check instead (minutes)
        return
    out = tmp_path / "gpu.txt"
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(SCRIPT), str(out)], env=env, check=False)
    assert proc.returncode == 3
    assert "sees no CUDA device" in out.read_text()
