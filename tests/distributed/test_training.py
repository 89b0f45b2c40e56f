"""Data-parallel training on 2 ranks equals one process on the whole batch.

Each of 2 ranks takes half of every global batch (its samples r, r + 2,
...); averaging their gradients gives the whole batch's mean gradient, so
after the same number of Adam steps the weights agree with a single process
to float32 rounding (the sums run in another order)."""
import numpy as np
import pytest


def weights(run):
    with np.load(run.directory / "weights.npz") as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.parametrize("mode, count", [("fit", 3), ("tape", 12), ("traced", 12)])
def test_two_ranks_match_one_process_on_the_whole_batch(mpirun, mode, count):
    two = mpirun(2, "train_mlp.py", mode, 32, count, "--distributed")
    assert two.returncode == 0, two
    two_weights = weights(two)
    records = two.records()
    assert records[0]["checksum"] == records[1]["checksum"]        # ranks stay identical
    one = mpirun(1, "train_mlp.py", mode, 64, count)
    assert one.returncode == 0, one
    steps = records[0]["iterations"]
    assert steps == one.records()[0]["iterations"] == 12          # 256 samples / 64, 3 epochs
    for a, b in zip(two_weights, weights(one)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    if mode == "fit":   # the logs are averaged over the ranks: the global loss
        np.testing.assert_allclose(records[0]["logs"]["loss"], one.records()[0]["logs"]["loss"],
                                   rtol=1e-5)
        assert records[0]["logs"] == records[1]["logs"]


def test_a_callback_stopping_one_rank_stops_every_rank_at_the_same_batch(mpirun):
    # rank 1 alone sets stop_training after its third batch; rank 0 must stop
    # there too, or its fourth step would wait for rank 1's gradients forever
    run = mpirun(2, "train_mlp.py", "fit_stop", 32, 3, "--distributed", timeout=60)
    assert run.returncode == 0, run
    records = run.records()
    assert [records[r]["iterations"] for r in (0, 1)] == [3, 3]
    assert records[0]["checksum"] == records[1]["checksum"]
