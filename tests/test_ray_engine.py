"""engine=ray on a local Ray instance writes the local engine's records."""

import pytest
from test_batch import infer

from wildlens.pipeline.records import Outputs, read_records

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

# What legitimately differs between two runs: when each record was made.
RUN_FIELDS = {"time"}


def test_ray_records_equal_local_records(tiny_bundle, mixed_folder, tmp_path):
    local_out, ray_out = tmp_path / "local.csv", tmp_path / "ray.csv"
    infer(tiny_bundle, mixed_folder, local_out, "workers=0", "batch_size=3")
    infer(tiny_bundle, mixed_folder, ray_out, "engine=ray", "actors=1", "batch_size=3")
    assert not ray.is_initialized()  # the local instance it started is shut down
    local = read_records(Outputs(local_out).records)
    remote = read_records(Outputs(ray_out).records)
    assert sorted(remote) == sorted(local) and len(local) == 8
    for key, expected in local.items():
        got = remote[key]
        assert set(got) == set(expected), key
        for field, value in expected.items():
            if field in RUN_FIELDS:
                continue
            if field == "top_k" and value:
                assert [c for c, _ in got[field]] == [c for c, _ in value]
                assert [p for _, p in got[field]] == pytest.approx([p for _, p in value], abs=1e-5)
            elif field == "confidence" and value is not None:
                assert got[field] == pytest.approx(value, abs=1e-5)
            elif field == "unknown_scores" and value:
                assert got[field] == pytest.approx(value, abs=1e-4)  # batches of other sizes
            else:
                assert got[field] == value, (key, field)
