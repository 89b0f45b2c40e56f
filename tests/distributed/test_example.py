"""examples/train_digits_distributed.py under mpiexec -n 2, as docs/distributed.md runs it."""
import pathlib
import re

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "train_digits_distributed.py"


def test_the_distributed_digits_example_trains_on_two_ranks(mpirun, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    pytest.importorskip("sklearn", reason="the digits come from scikit-learn")
    run = mpirun(2, EXAMPLE, "--epochs", 12, "--quiet", "--checkpoint-dir", checkpoints,
                 timeout=180)
    assert run.returncode == 0, run
    out = run.stdout
    assert "on 2 rank(s), 32 samples per rank and step (64 in all)" in out
    assert "rank 0: cpu:0" in out and "rank 1: cpu:0" in out
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy >= 0.95, out
    assert "weights identical on all ranks: True" in out
    # one checkpoint, written by rank 0, and recorded as the latest
    assert sorted(p.name for p in checkpoints.iterdir()) == ["checkpoint", "ckpt-1"]
    assert out.count("checkpoint written to") == 1
