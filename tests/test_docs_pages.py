"""The pages of docs/ are checked.

* Pages whose ```python blocks need nothing set up or torn down (``PAGES``):
  each runs, in order, in one namespace, in a scratch directory. Pages that
  need more have their own ``tests/test_docs_<page>.py``; blocks that are
  only fragments are fenced ```py and not run.
* Every page with ```python blocks is run by some test, so a new page
  cannot go unchecked.
* Every relative link and every repository path that README.md and the
  pages mention exists.
"""
import re

import pytest

from gpugrad import registry
from doc_blocks import DOCS, python_blocks, run_blocks

ROOT = DOCS.parent
TESTS = ROOT / "tests"

PAGES = [
    "getting-started.md",
    "tensors-and-variables.md",
    "optimizers.md",
    "training.md",
    "internals.md",
]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Run in an empty directory (pages may write files), and forget the
    ops a page registers (docs/internals.md defines one)."""
    monkeypatch.chdir(tmp_path)
    ops = set(registry._REGISTRY)
    yield
    for name in set(registry._REGISTRY) - ops:
        del registry._REGISTRY[name]


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs(page, scratch):
    run_blocks(DOCS / page)


def test_the_readme_tour_runs(scratch):
    run_blocks(ROOT / "README.md")


# ------------------------------------------------------- no page unchecked
def _dedicated_tests():
    """{test file name: its text} of the tests that check one page."""
    files = sorted(TESTS.glob("test_docs_*.py")) + [TESTS / "test_questions.py"]
    return {f.name: f.read_text() for f in files if f.name != "test_docs_pages.py"}


def test_every_page_with_python_blocks_is_run():
    dedicated = _dedicated_tests()
    unchecked = []
    for doc in sorted(DOCS.glob("*.md")):
        if not python_blocks(doc.read_text()):
            continue
        runners = [name for name, text in dedicated.items()
                   if f'"{doc.name}"' in text and "run_blocks(" in text]
        if doc.name not in PAGES and not runners:
            unchecked.append(doc.name)
        assert not (doc.name in PAGES and runners), \
            f"{doc.name} is run both here and by {runners}"
    assert not unchecked, (
        f"{unchecked} have ```python blocks that no test runs: add them to PAGES in "
        f"tests/test_docs_pages.py (or give them a tests/test_docs_<page>.py that calls "
        f"run_blocks), or fence blocks that cannot run as ```py")


@pytest.mark.parametrize("page", PAGES)
def test_listed_pages_exist_and_have_blocks(page):
    assert python_blocks((DOCS / page).read_text()), f"docs/{page} has no ```python blocks"


# ------------------------------------------------------ references resolve
#: top-level directories of the repository: a backticked word starting with
#: one of these and a slash is a path that must exist
TOP_LEVEL = ("docs", "examples", "benchmarks", "tests", "gpugrad", "kernels", ".ci")
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_NOT_A_PATH = re.compile(r"[*?<>{}\[\]$]")


def _documents():
    return [ROOT / "README.md"] + sorted(DOCS.glob("*.md"))


def _parts(text):
    """(prose without code, [code spans and non-Python fenced blocks])."""
    code = []

    def fence(m):
        if m.group(1).strip() not in ("python", "py"):
            code.append(m.group(2))
        return "\n" * m.group(0).count("\n")

    prose = _FENCE.sub(fence, text)

    def span(m):
        code.append(m.group(2))
        return " " * len(m.group(0))

    return _CODE_SPAN.sub(span, prose), code


def _path_words(code):
    for word in code.split():
        word = word.strip("\"'(),;").rstrip(".").split("::")[0].split(":")[0]
        if "/" in word and word.split("/")[0] in TOP_LEVEL and not _NOT_A_PATH.search(word):
            yield word


def references(doc):
    """[(what, path it must have)] for the links and repository paths of ``doc``."""
    prose, code = _parts(doc.read_text())
    found = []
    for target in _LINK.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue                                  # a URL, mailto:, or an anchor here
        target = target.split("#")[0]
        if not _NOT_A_PATH.search(target):
            found.append((f"link ({target})", (doc.parent / target).resolve()))
    for piece in code:
        found.extend((f"`{word}`", ROOT / word) for word in _path_words(piece))
    return found


@pytest.mark.parametrize("doc", _documents(), ids=lambda d: d.relative_to(ROOT).as_posix())
def test_every_link_and_repository_path_exists(doc):
    missing = [what for what, path in references(doc) if not path.exists()]
    assert not missing, f"{doc.relative_to(ROOT)} refers to what is not there: {missing}"


def test_the_reference_finder_finds_references():
    text = ("See [the tape](gradient-tape.md#what-is-watched), [up](#top), "
            "[site](https://example.org/a.md), `docs/function.md`, `kernels/<name>/`, "
            "`python benchmarks/train_step.py`, `tests/keras/test_fit.py::test_x`, "
            "`docs/*.md`.\n\n```\n.venv/bin/python examples/train_digits.py\n```\n\n"
            "```python\nopen('docs/never-checked.md')\n```\n")
    prose, code = _parts(text)
    assert _LINK.findall(prose) == ["gradient-tape.md#what-is-watched", "#top",
                                    "https://example.org/a.md"]
    assert sorted(w for piece in code for w in _path_words(piece)) == [
        "benchmarks/train_step.py", "docs/function.md", "examples/train_digits.py",
        "tests/keras/test_fit.py"]
