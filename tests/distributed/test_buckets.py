"""The bucketed reduction, in one process: a stand-in engine plays the other
ranks (every rank holds the same arrays, so a sum is the array times the
number of ranks). What travels, in how many collectives, and what comes back."""
import weakref

import numpy as np
import pytest

import gpugrad as tf
from gpugrad.backend.collectives import _MPI_REDUCES
from gpugrad.distributed.buckets import Reducer, _differences
from gpugrad.errors import InvalidArgumentError


class IdenticalRanks:
    """An MPI-like engine for ``size`` ranks that all hold the same data."""

    def __init__(self, size):
        self.size = size
        self.launched = []           # (count, dtype) of each collective

    def reduces(self, dtype_name):
        return dtype_name in _MPI_REDUCES

    def empty(self, count, dtype_name):
        return np.empty(count, dtype_name)

    def allreduce(self, buffer, op):
        self.launched.append((buffer.size, str(buffer.dtype)))
        if op == "sum":
            buffer *= self.size
        return lambda: True

    def broadcast(self, buffer, root):
        self.launched.append((buffer.size, str(buffer.dtype)))
        return lambda: True


class Runtime:
    def __init__(self, size=2, agree=True):
        self.rank, self.size = 0, size
        self.host = IdenticalRanks(size)
        self.agree = agree

    def wait(self, done, what):
        assert done()

    def digests_agree(self, digest, count, what):
        return self.agree

    def allgather_object(self, obj, what):
        other = [(name + "_other", shape, dtype, kind) for name, shape, dtype, kind in obj]
        return [obj, other]


def reduce(arrays, bucket_bytes=1024, op="average", size=2):
    rt = Runtime(size)
    backend = tf.constant(0.0)._backend
    reducer = Reducer(rt, bucket_bytes)
    out = reducer.allreduce(arrays, [backend] * len(arrays), op,
                            [f"g{i}" for i in range(len(arrays))])
    return out, rt.host.launched, reducer


def test_the_average_comes_back_in_each_arrays_shape_and_dtype():
    arrays = [np.arange(6, dtype="float32").reshape(2, 3), np.array([1.5, -2.0])]
    out, launched, _ = reduce(arrays)
    for a, b in zip(out, arrays):
        assert b.dtype == a.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)     # the mean of identical values: themselves
    assert launched == [(6, "float32"), (2, "float64")]   # one bucket per dtype


def test_buckets_close_before_the_array_that_would_overflow_them():
    # 1 KiB buckets of float32: 100 + 100 elements fit (800 B), a third 100 does not
    arrays = [np.ones(100, "float32") for _ in range(3)] + [np.ones(1000, "float32")]
    out, launched, _ = reduce(arrays)
    # and an array bigger than a bucket gets one of its own
    assert launched == [(200, "float32"), (100, "float32"), (1000, "float32")]


def test_results_are_views_of_the_reduced_bucket_not_copies():
    out, _, _ = reduce([np.ones(4, "float32"), np.ones(4, "float32")])
    assert out[0].base is not None and out[0].base is out[1].base


def test_average_is_folded_into_the_pack_and_a_sum_is_not_scaled():
    x = np.array([1.0, 3.0], "float32")
    assert reduce([x], op="average", size=4)[0][0].tolist() == [1.0, 3.0]
    assert reduce([x], op="sum", size=4)[0][0].tolist() == [4.0, 12.0]


def test_float16_travels_as_float32_where_mpi_cannot_reduce_it():
    x = np.array([0.1, 60000.0], "float16")     # 4 x 60000 overflows float16, not float32
    out, launched, _ = reduce([x], op="sum", size=4)
    assert launched == [(2, "float32")]
    assert out[0].dtype == np.float16
    np.testing.assert_array_equal(out[0], (x.astype("float32") * 4).astype("float16"))


def test_averaging_integers_is_refused_before_anything_moves():
    rt = Runtime()
    reducer = Reducer(rt)
    backend = tf.constant(0.0)._backend
    with pytest.raises(InvalidArgumentError, match="cannot average steps, of dtype int64"):
        reducer.allreduce([np.arange(3)], [backend], "average", ["steps"])
    assert rt.host.launched == []


def test_a_layout_is_planned_once_and_reused():
    rt = Runtime()
    reducer = Reducer(rt)
    backend = tf.constant(0.0)._backend
    a = [np.ones(3, "float32")]
    reducer.allreduce(a, [backend], "sum", ["w"])
    reducer.allreduce([np.zeros(3, "float32")], [backend], "sum", ["w"])
    assert len(reducer._plans) == 1 and reducer.collectives == 2


def test_disagreeing_ranks_get_every_difference_named():
    lists = [[("w", (3, 2), "float32", "cpu"), ("b", (2,), "float32", "cpu")],
             [("w", (2, 3), "float32", "cpu")]]
    text = _differences(lists)
    assert "rank 0 has 2 values, rank 1 has 1" in text
    assert "value 0: rank 0 has 'w' [3, 2] float32, rank 1 has 'w' [2, 3] float32" in text
    assert "value 1: rank 1 lacks 'b' [2] float32" in text


def test_the_reducer_refuses_a_bucket_size_of_zero():
    with pytest.raises(ValueError, match="bucket_bytes must be positive"):
        Reducer(Runtime(), -1)


def test_a_bucket_buffer_is_reused_only_once_no_result_of_it_is_alive():
    rt = Runtime(size=2)
    reducer = Reducer(rt)
    backend = tf.constant(0.0)._backend
    first = reducer.allreduce([np.ones(4, "float32")], [backend], "sum", ["w"])[0]
    second = reducer.allreduce([np.full(4, 2.0, "float32")], [backend], "sum", ["w"])[0]
    # the first result is still held: the second call got a buffer of its own
    assert not np.shares_memory(first, second)
    assert first.tolist() == [2.0] * 4 and second.tolist() == [4.0] * 4
    base = weakref.ref(second.base)
    del first, second
    third = reducer.allreduce([np.full(4, 3.0, "float32")], [backend], "sum", ["w"])[0]
    assert third.base is base() and third.tolist() == [6.0] * 4    # nothing held it: reused


def test_many_small_arrays_are_packed_in_one_pass_with_the_same_result():
    arrays = [np.arange(i, i + 5, dtype="float32") for i in range(50)]
    out, launched, _ = reduce(arrays, bucket_bytes=1 << 20, op="average", size=4)
    assert launched == [(250, "float32")]
    for a, b in zip(out, arrays):
        np.testing.assert_array_equal(a, b)
