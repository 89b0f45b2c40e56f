"""A rank that fails stops the others with an error naming it, within the
timeout; mismatched gradients are reported before any data moves."""
import pytest


def test_a_rank_that_raises_stops_the_others_naming_it(mpirun):
    run = mpirun(2, "faults.py", "raise", 30)
    assert run.returncode != 0, run
    assert "ValueError: rank 1 read a corrupt batch" in run.stderr
    assert "AbortedError: rank 1 failed: ValueError: rank 1 read a corrupt batch" in run.stderr
    assert "finished" not in run.stdout
    assert run.seconds < 20, run          # told at once, not after the 30 s timeout


def test_a_rank_that_never_joins_times_out(mpirun):
    run = mpirun(2, "faults.py", "hang", 2)
    assert run.returncode != 0, run
    assert "DeadlineExceededError: rank 0: " in run.stderr
    assert "did not complete within 2 s" in run.stderr
    assert run.seconds < 30, run


@pytest.mark.parametrize("mode, line", [
    ("shapes", "value 0: rank 0 has 'w:0' [3, 2] float32, rank 1 has 'w:0' [3, 4] float32"),
    ("variables", "value 2: only rank 1 has 'extra:0' [5] float32"),
])
def test_mismatched_gradients_are_reported_on_every_rank(mpirun, mode, line):
    run = mpirun(2, "faults.py", mode, 30)
    assert run.returncode != 0, run
    message = "InvalidArgumentError: DistributedGradientTape.gradient: the ranks disagree"
    assert run.stderr.count(message) == 2, run          # on both ranks
    assert line in run.stderr, run
    assert run.seconds < 20, run


def test_a_failure_inside_fit_stops_every_rank(mpirun):
    run = mpirun(2, "faults.py", "fit", 30)
    assert run.returncode != 0, run
    assert "RuntimeError: rank 1's callback failed" in run.stderr
    assert "AbortedError: rank 1 failed: RuntimeError: rank 1's callback failed" in run.stderr
    assert run.seconds < 20, run
