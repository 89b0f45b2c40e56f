"""In a distributed run, rank 0 alone writes checkpoints."""


def test_checkpoints_are_written_once_and_read_everywhere(mpirun):
    run = mpirun(2, "checkpoints.py")
    assert run.returncode == 0, run
    records = run.records()
    assert records[0]["writes"] == ["ckpt-1", "ckpt-2", "weights.ckpt"]
    assert records[1]["writes"] == []
    for r in records.values():
        assert r["paths"] == ["ckpts/ckpt-1", "ckpts/ckpt-2", "weights.ckpt"]
        assert r["restored_equal"]
        assert r["files"] == ["checkpoint", "ckpt-2"]          # max_to_keep=1 deleted ckpt-1
