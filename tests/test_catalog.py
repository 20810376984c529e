"""The catalog files: every file dataset carries its Kedro-Viz layer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CATALOGS = sorted(
    (Path(__file__).resolve().parents[1] / "conf" / "base").glob("catalog_*.yml")
)
LAYERS = {
    "raw",
    "intermediate",
    "primary",
    "feature",
    "model_input",
    "models",
    "model_output",
    "reporting",
}


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: path.name)
def test_every_file_dataset_has_a_layer(catalog):
    entries = yaml.safe_load(catalog.read_text())
    for name, entry in entries.items():
        if name.startswith("_") or "MemoryDataset" in str(entry.get("type")):
            continue
        layer = (entry.get("metadata") or {}).get("kedro-viz", {}).get("layer")
        assert layer in LAYERS, f"{catalog.name}: {name} has layer {layer!r}"
