"""The layering rules: only gpugrad/backend imports array libraries, and the
core stays small enough to read in one sitting."""
import ast
import pathlib

import gpugrad

PACKAGE = pathlib.Path(gpugrad.__file__).parent
ARRAY_LIBRARIES = {"numpy", "cupy", "cupyx", "numba", "scipy", "torch", "jax"}
CORE = ["tensor.py", "variable.py", "tape.py", "registry.py"]
CORE_CEILING = 1500


def imported_roots(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def test_only_the_backend_imports_array_libraries():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("backend", "_kernels"):
            continue
        for root, line in imported_roots(path):
            if root in ARRAY_LIBRARIES:
                offenders.append(f"gpugrad/{relative}:{line} imports {root}")
    assert not offenders, "device-specific imports outside gpugrad/backend:\n" + "\n".join(offenders)


def test_the_core_fits_its_line_budget():
    lines = sum(len((PACKAGE / name).read_text().splitlines()) for name in CORE)
    assert lines <= CORE_CEILING, f"core is {lines} lines, over the {CORE_CEILING} ceiling"


def test_every_subpackage_is_installed():
    """pyproject.toml lists packages by hand: a new one must be added there."""
    import re
    repo = pathlib.Path(__file__).resolve().parents[1]     # the checkout, not site-packages
    source = repo / "gpugrad"
    listed = set(re.findall(r'"(gpugrad[\w.]*)"', (repo / "pyproject.toml").read_text()))
    found = {"gpugrad." + ".".join(p.parent.relative_to(source).parts)
             for p in source.rglob("__init__.py") if p.parent != source}
    missing = sorted(found - listed - {"gpugrad._kernels"})
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
