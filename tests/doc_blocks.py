"""Run a Markdown page's ```python blocks in order, in one namespace, and
fail with the page's own line number when one raises."""
import pathlib
import re
import traceback

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(text):
    """(first line number in the file, source) of each ```python block."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def run_blocks(doc):
    """Execute every block of ``doc`` (a path); returns the namespace."""
    text = doc.read_text()
    blocks = python_blocks(text)
    assert blocks, f"no ```python blocks in {doc}"
    assert len(blocks) == text.count("```python"), f"a ```python fence in {doc} is malformed"
    namespace = {"__name__": doc.stem.replace("-", "_") + "_doc"}
    lines = text.splitlines()
    for number, (first_line, source) in enumerate(blocks, 1):
        # pad with newlines so tracebacks give the line number in the .md file
        filename = f"{doc.name} block {number}"
        code = compile("\n" * (first_line - 1) + source, filename, "exec")
        failure = None
        try:
            exec(code, namespace)
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
            line = frames[-1].lineno if frames else first_line
            failure = (f"{doc.name}: block {number} (starting at line {first_line}) failed at "
                       f"line {line}: {lines[line - 1].strip()}\n"
                       f"{type(exc).__name__}: {exc}")
        if failure:
            pytest.fail(failure, pytrace=False)
    return namespace
