"""docs/function.md: every ```python block runs, in order, in one namespace."""
import pytest

import gpugrad
from doc_blocks import DOCS, run_blocks


@pytest.fixture
def default_options():
    """The doc switches passes and eager functions; leave the defaults."""
    yield
    gpugrad.config.optimizer._options = {}
    gpugrad.config.optimizer.version += 1
    gpugrad.config.run_functions_eagerly(False)


def test_every_python_block_runs_in_order(default_options, capsys):
    run_blocks(DOCS / "function.md")
    out = capsys.readouterr().out
    assert "singleton tf.Variables created on the first call" in out
    assert "OperatorNotAllowedInGraphError" in out
