"""docs/debugging.md: every ```python block runs, in order, in one namespace,
and every ```text block is what the blocks before it printed."""
import re

import pytest

from gpugrad import debugging
from doc_blocks import DOCS, run_blocks

_TEXT = re.compile(r"^```text[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@pytest.fixture
def switched_off_after():
    """The page switches explanations and numerics checks on and off;
    leave them off whatever happens."""
    yield
    debugging.disable_gradient_explanations()
    debugging.disable_check_numerics()


def test_every_python_block_runs_in_order(switched_off_after, capsys):
    run_blocks(DOCS / "debugging.md")
    out = capsys.readouterr().out
    shown = _TEXT.findall((DOCS / "debugging.md").read_text())
    assert len(shown) == 3
    for text in shown:
        if text.startswith("!!!"):       # a numerics message: printed as shown
            assert text in out, text
        else:                            # an explanation: one line, wrapped on the page
            assert " ".join(text.split("\n")).strip() in out, text
