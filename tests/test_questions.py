"""docs/variables-and-gradients.md: each script in examples/questions/ prints
exactly the output shown under it on the page (which is also what
TensorFlow 2.21 prints for the same script, checked when it was written)."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "variables-and-gradients.md"
_OUTPUT = re.compile(r"<!-- output of (\S+) -->\n```text\n(.*?)```", re.DOTALL)


def documented():
    return _OUTPUT.findall(PAGE.read_text())


def test_every_question_script_is_on_the_page():
    scripts = {f"examples/questions/{p.name}" for p in (ROOT / "examples" / "questions").glob("*.py")}
    assert scripts == {script for script, _ in documented()}


@pytest.mark.parametrize("script, expected", documented(), ids=lambda v: pathlib.Path(v).stem
                         if str(v).endswith(".py") else "")
def test_the_script_prints_what_the_page_shows(script, expected):
    result = subprocess.run([sys.executable, str(ROOT / script)], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, GPUGRAD_DEVICE="cpu"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
