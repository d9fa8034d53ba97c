"""CPSC2019Dataset(records=...): exactly the given records, in order, instead of the split."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_data.datasets.cpsc2019 import CPSC2019Dataset


def test_records_replace_the_seeded_split() -> None:
    base = {"synthetic_records": 12, "seed": 1}
    everything = CPSC2019Dataset({**base, "train_ratio": 0.5}, training=True).reader.all_records
    names = list(everything)
    chosen = [names[5], names[2], names[9]]
    ds = CPSC2019Dataset({**base, "records": chosen}, training=False)
    assert ds.records == chosen and len(ds) == 3
    # item k is record chosen[k]: same signal as a dataset holding that record alone
    alone = CPSC2019Dataset({**base, "records": [names[2]]})
    np.testing.assert_array_equal(ds[1][0].numpy(), alone[0][0].numpy())
    np.testing.assert_array_equal(ds.rpeaks(1), alone.rpeaks(0))


def test_records_are_checked() -> None:
    with pytest.raises(ValueError, match="not in the database"):
        CPSC2019Dataset({"synthetic_records": 4, "records": ["nope"]})
    with pytest.raises(ValueError, match="must not be empty"):
        CPSC2019Dataset({"synthetic_records": 4, "records": []})
    with pytest.raises(TypeError, match="sequence of record names"):
        CPSC2019Dataset({"synthetic_records": 4, "records": "abc"})
