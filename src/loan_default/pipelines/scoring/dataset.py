"""The 01_raw batch of new applications: a file when one is delivered, else nothing.

``NewApplicationBatchDataset.load()`` never fails for a missing file: it says so, and
the scoring pipeline then draws a synthetic batch from its parameters. A delivered
file is refused on the raw files' own rules (lines over 1 MB, another delimiter,
repeated header names, a file that ends mid-row), checked in bounded memory with an
error naming the file, then handed over unread: the scoring node reads it a chunk at
a time. Checking its values is validation's job.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from loan_default.datasets import CSVChunks, check_raw_file, sha256_of
from loan_default.schema import APPLICATION

logger = logging.getLogger(__name__)


class NewApplicationBatchDataset(AbstractDataset[dict[str, Any], dict[str, Any]]):
    """A batch of raw applications (``application_data.csv``'s schema, TARGET optional).

    ``load()`` returns ``{"application": CSVChunks or None, "source": dict}``: the
    file's rows, read ``chunks(size)`` at a time, and a description with its path
    and SHA-256, or ``None`` and ``{"kind": "none", ...}`` when the file is absent.
    """

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}

    def _exists(self) -> bool:
        # Always loadable: an absent file is an answer ("no batch"), not missing data.
        return True

    def save(self, data: dict[str, Any]) -> None:
        raise DatasetError(
            f"{self._filepath} is an input delivered to the project: it is never written"
        )

    def load(self) -> dict[str, Any]:
        if not self._filepath.exists():
            return {
                "application": None,
                "source": {"kind": "none", "path": str(self._filepath)},
            }
        check_raw_file(self._filepath)
        source = {
            "kind": "file",
            "path": str(self._filepath),
            "sha256": sha256_of(self._filepath),
        }
        return {"application": CSVChunks(self._filepath, APPLICATION), "source": source}
