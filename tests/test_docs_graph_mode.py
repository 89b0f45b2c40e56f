"""docs/graph-mode.md: every ```python block runs, in order, in one namespace."""
import pytest

import gpugrad
from doc_blocks import DOCS, run_blocks


@pytest.fixture
def clean_graph_state():
    """The doc switches eager execution off and back on; whatever happens,
    leave eager mode on and a fresh default graph for the other tests."""
    gpugrad.enable_eager_execution()
    gpugrad.reset_default_graph()
    try:
        yield
    finally:
        gpugrad.enable_eager_execution()
        gpugrad.reset_default_graph()


def test_every_python_block_runs_in_order(clean_graph_state):
    run_blocks(DOCS / "graph-mode.md")
    assert gpugrad.executing_eagerly(), "the doc must leave eager execution on"
