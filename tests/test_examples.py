"""The example programs run and do what they say (short runs, on the CPU)."""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(script, *args):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, GPUGRAD_DEVICE="cpu"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_custom_training_loop_learns_the_spirals_with_one_trace():
    out = run("custom_training_loop.py", "--steps", "200")
    accuracy = float(re.search(r"training accuracy ([\d.]+)", out).group(1))
    assert accuracy >= 0.95, out
    assert "(1 trace)" in out


def test_gradient_accumulation_matches_whole_batch_training():
    out = run("gradient_accumulation.py", "--steps", "10")
    by_hand, optimizer = map(float, re.search(r"by hand ([\d.e+-]+), gradient_accumulation_steps"
                                              r"=4 ([\d.e+-]+)", out).groups())
    assert by_hand < 1e-5 and optimizer < 1e-5, out
    assert "update steps taken: 10" in out


def test_train_digits_mlp_reaches_95_percent_and_writes_its_curves(tmp_path):
    plot = tmp_path / "digits.png"
    out = run("train_digits.py", "--quiet", "--plot", str(plot))
    assert "mlp on cpu:0 (1437 training and 360 test digits)" in out, out
    assert re.search(r"time per epoch: \d+ ms", out), out
    accuracy = float(re.search(r"test accuracy: ([\d.]+)", out).group(1))
    assert accuracy >= 0.95, out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_digits_cnn_learns_in_a_few_epochs(tmp_path):
    out = run("train_digits.py", "--model", "cnn", "--epochs", "4", "--quiet",
              "--plot", str(tmp_path / "cnn.png"))
    assert "cnn on cpu:0" in out, out
    accuracy = float(re.search(r"test accuracy: ([\d.]+)", out).group(1))
    assert accuracy >= 0.9, out
