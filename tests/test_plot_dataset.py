"""The PNG plot dataset saves a figure as kedro-datasets does and reads the file back."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from loan_default.plot_dataset import PNGPlotDataset


def test_the_saved_file_is_what_load_returns(tmp_path: Path) -> None:
    figure = Figure(figsize=(2, 2))
    figure.add_subplot().plot([0, 1], [1, 0])
    path = tmp_path / "plots" / "line.png"
    dataset = PNGPlotDataset(filepath=str(path), save_args={"dpi": 50})
    dataset.save(figure)
    loaded = dataset.load()
    assert loaded == path.read_bytes()
    assert loaded.startswith(b"\x89PNG\r\n\x1a\n")
    # save_args reach savefig: 2 inches at 50 dpi is 100 pixels wide (PNG IHDR).
    assert int.from_bytes(loaded[16:20], "big") == 100
