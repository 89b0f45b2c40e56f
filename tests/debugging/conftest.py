import pytest

from gpugrad import debugging


@pytest.fixture
def explanations():
    """Provenance on for the test (op names and lines in explanations)."""
    debugging.enable_gradient_explanations()
    yield
    debugging.disable_gradient_explanations()


@pytest.fixture
def numerics():
    debugging.enable_check_numerics()
    yield
    debugging.disable_check_numerics()
