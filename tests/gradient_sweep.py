"""The gradient sweep's cases (tests/ops/test_gradients.py), for the suites
that run every op again in another setting (graphs, traced functions)."""
import importlib.util
import pathlib
import random

import numpy as np
from hypothesis import strategies as st

_SWEEP = pathlib.Path(__file__).parent / "ops" / "test_gradients.py"
_spec = importlib.util.spec_from_file_location("gradient_sweep_cases", _SWEEP)
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)

CASE_NAMES = sorted(sweep.CASES)


def flat(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


def draw(name, data):
    """(case, inputs, params, numpy random generator) for one example."""
    case = sweep.CASES[name]
    shapes_, params = data.draw(case.draw, label="shapes, params")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    inputs = case.inputs(shapes_, random.Random(seed))
    return case, inputs, dict(params), np.random.default_rng(seed)
