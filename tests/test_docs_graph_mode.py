"""docs/graph-mode.md: every ```python block runs, in order, in one namespace."""
import pathlib
import re
import traceback

import pytest

import gpugrad

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "graph-mode.md"
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(text):
    """(first line number in the file, source) of each ```python block."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


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


def test_the_blocks_find_every_python_fence():
    text = DOC.read_text()
    assert len(python_blocks(text)) == text.count("```python")


def test_every_python_block_runs_in_order(clean_graph_state):
    blocks = python_blocks(DOC.read_text())
    assert blocks, f"no ```python blocks in {DOC}"
    namespace = {"__name__": "graph_mode_doc"}
    lines = DOC.read_text().splitlines()
    for number, (first_line, source) in enumerate(blocks, 1):
        # pad with newlines so tracebacks give the line number in the .md file
        filename = f"{DOC.name} block {number}"
        code = compile("\n" * (first_line - 1) + source, filename, "exec")
        failure = None
        try:
            exec(code, namespace)
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
            line = frames[-1].lineno if frames else first_line
            failure = (f"{DOC.name}: block {number} (starting at line {first_line}) failed at "
                       f"line {line}: {lines[line - 1].strip()}\n"
                       f"{type(exc).__name__}: {exc}")
        if failure:
            pytest.fail(failure, pytrace=False)
    assert gpugrad.executing_eagerly(), "the doc must leave eager execution on"
