"""Collectives on 2 ranks under mpiexec, against the values worked out by hand."""


def test_collectives_on_two_ranks(mpirun):
    run = mpirun(2, "collectives.py")
    assert run.returncode == 0, run
    records = run.records()
    assert sorted(records) == [0, 1], run
    for rank, r in records.items():
        assert (r["size"], r["local_rank"], r["device"]) == (2, rank, "cpu:0")
        # rank 0 holds [1, 2, 4], rank 1 holds [2, 4, 8]
        assert r["average"] == [1.5, 3.0, 6.0]
        assert r["sum"] == [3.0, 6.0, 12.0]
        assert r["max"] == [2.0, 4.0, 8.0]
        assert r["min"] == [1.0, 2.0, 4.0]
        assert r["int_sum"] == [3, 20]
        assert r["float64_average"] == [0.5]
        assert r["float16_sum"] == [1.5] and r["float16_dtype"] == "float16"
        assert r["broadcast"] == [1.0, 1.0]                       # from the last rank
        assert r["allgather"] == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]   # 1 row, then 2
        assert r["variables"] == [[0.0, 1.0], [[0.0]]]
        # traced once, run twice: each run sends rank 0's current value (0, then 10)
        assert r["traced_broadcast"] == [[0.0], [10.0]]
        assert r["graph_broadcast"] == [[float(rank)], [1.0]]     # before, after the op
        # d/dv sum(v*v)*(r+1) at v = [0, 1]: [0, 2] on rank 0, [0, 4] on rank 1
        assert r["tape"] == [[0.0, 3.0], None]


def test_a_hundred_tensors_travel_in_a_few_buckets(mpirun):
    run = mpirun(2, "collectives.py")
    assert run.returncode == 0, run
    for r in run.records().values():
        assert r["grouped_ok"]
        # 100 tensors of 10..109 float32 (5,950 elements, 23,800 bytes) in 1 KiB
        # buckets, a bucket closing before the tensor that would overflow it: 28
        assert r["grouped_collectives"] == greedy_buckets([4 * (10 + i) for i in range(100)],
                                                          1024) == 28


def greedy_buckets(sizes, limit):
    count, used = 0, None
    for size in sizes:
        if used is None or used + size > limit:
            count, used = count + 1, 0
        used += size
    return count
