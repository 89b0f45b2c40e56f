"""The NCCL path on a GPU machine: one rank per GPU (one GPU: a 1-rank
NCCL communicator, which still runs the engine, the buckets and the device
choice; what several GPUs add — NCCL between them — needs a bigger machine)."""
import pytest

from gpugrad.testing.parity import skip_reason
from test_collectives import greedy_buckets


@pytest.mark.gpu
def test_nccl_reduces_gpu_tensors_in_buckets(mpirun):
    reason = skip_reason("gpu")
    if reason:
        pytest.skip(reason)
    import cupy
    gpus = cupy.cuda.runtime.getDeviceCount()
    run = mpirun(gpus, "nccl.py", device="auto", timeout=300)
    assert run.returncode == 0, run
    records = run.records()
    n = gpus
    for rank, r in records.items():
        assert r["device"] == f"gpu:{rank}" and r["result_device"] == f"gpu:{rank}"
        assert r["engine"] == "NcclCollectives" and r["float16_wire"] == "float16"
        expected = [sum((q + 1) * e for q in range(n)) for e in (1.0, 2.0, 4.0)]
        assert r["sum"] == expected
        assert r["average"] == [e / n for e in expected]
        assert r["grouped_ok"]
        assert r["grouped_collectives"] == greedy_buckets([4 * (10 + i) for i in range(100)],
                                                          4096)
        assert r["variable"] == [0.0, 1.0]
        assert r["gradient"] == [0.0, 2.0]
        assert len(r["allgather"]) == n * (n + 1) // 2
