"""docs/checkpoints.md: every ```python block runs, in order, in one
namespace, in a scratch directory; what they print is the page's output
blocks (the bare ``` blocks), in order."""
from doc_blocks import DOCS, run_blocks


def output_blocks(text):
    """The contents of the fenced blocks that name no language."""
    blocks, current, language = [], None, None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, language = [], line[3:].strip()
            else:
                if not language:
                    blocks.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_every_python_block_runs_and_prints_what_the_page_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_blocks(DOCS / "checkpoints.md")
    shown = "".join(output_blocks((DOCS / "checkpoints.md").read_text()))
    assert capsys.readouterr().out == shown
