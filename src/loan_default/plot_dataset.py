"""A plot saved as PNG that later nodes can read back."""

from __future__ import annotations

from kedro.io.core import get_filepath_str
from kedro_datasets.matplotlib import MatplotlibDataset


class PNGPlotDataset(MatplotlibDataset):
    """kedro-datasets' ``MatplotlibDataset`` (one figure, saved with its
    ``save_args``), whose ``load`` returns the saved PNG's bytes: the model document
    embeds the very files of ``08_reporting`` instead of drawing them again."""

    def load(self) -> bytes:  # type: ignore[override]
        path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(path, mode="rb") as file:
            return file.read()
