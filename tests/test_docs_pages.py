"""Pages of docs/ whose ```python blocks need nothing set up or torn down:
each runs, in order, in one namespace."""
import pytest

from doc_blocks import DOCS, run_blocks

PAGES = ["tensors-and-variables.md"]


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs(page):
    run_blocks(DOCS / page)
