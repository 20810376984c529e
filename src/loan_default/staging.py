"""Every file a run writes goes to the run's staging folder, and into place only when
the whole run has succeeded.

A run's file datasets are redirected to ``data/.staging/<run id>/<path under data/>``,
so later nodes of the same run read the staged copies. On success the run writes a
commit record, then moves each staged file, or each versioned dataset's version
folder, into place by one rename (the champion last). On failure the staging folder
is deleted. The rename of the commit record is the commit point: a run killed before
it changed nothing outside its staging folder; a run killed after it is completed by
the next run (``recover``) before that run starts.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from loan_default import faults

logger = logging.getLogger(__name__)

STAGING_FOLDER_NAME = ".staging"
COMMIT_RECORD_NAME = "COMMIT.json"
COMMITTED_LAST = ("champion_model",)
"""Moved after every other output: a reader that finds the new champion finds the
files it was made from too."""


@dataclass(frozen=True)
class StagedOutput:
    """One output of the run: where it is saved, and where it goes on success."""

    name: str
    staged: Path
    final: Path
    versioned: bool
    layer: str | None = None

    def order(self) -> tuple[int, int]:
        # Plain files, then version folders, then the champion.
        return (self.name in COMMITTED_LAST, self.versioned)


def staging_root(data_root: Path) -> Path:
    return data_root / STAGING_FOLDER_NAME


def local_path(filepath: str) -> Path | None:
    """``filepath`` as a local path, or ``None`` for a remote one (s3://, gcs://, ...)."""
    if filepath.startswith("file://"):
        return Path(filepath.removeprefix("file://"))
    if "://" in filepath:
        return None
    return Path(filepath)


class RunStaging:
    """The staging folder of one run under ``data_root``."""

    def __init__(self, data_root: Path, run_id: str) -> None:
        self.data_root = Path(data_root).resolve()
        self.root = staging_root(self.data_root) / run_id
        self.outputs: list[StagedOutput] = []

    def stage(
        self,
        catalog: Any,
        names: Iterable[str],
        save_version: str | None,
        load_versions: Mapping[str, str] | None = None,
    ) -> list[StagedOutput]:
        """Redirect each file dataset in ``names`` to this run's staging folder."""
        load_versions = load_versions or {}
        with _quiet_replacements():
            for name in sorted(names):
                output = self._stage_one(
                    catalog, name, save_version, load_versions.get(name)
                )
                if output is not None:
                    self.outputs.append(output)
        return self.outputs

    def _stage_one(
        self,
        catalog: Any,
        name: str,
        save_version: str | None,
        load_version: str | None,
    ) -> StagedOutput | None:
        config = dataset_config(catalog, name)
        path = local_path(str(config.get("filepath", "")))
        if not path or not path.resolve().is_relative_to(self.data_root):
            return None
        relative = path.resolve().relative_to(self.data_root)
        staged_config = {**config, "filepath": str(self.root / relative)}
        catalog[name] = AbstractDataset.from_config(
            name, staged_config, load_version, save_version
        )
        versioned = bool(config.get("versioned")) and save_version is not None
        layer = (config.get("metadata") or {}).get("kedro-viz", {}).get("layer")
        if versioned:
            # A versioned save lands in <filepath>/<version>/: that folder is the unit.
            return StagedOutput(
                name,
                self.root / relative / save_version,
                self.data_root / relative / save_version,
                versioned=True,
                layer=layer,
            )
        return StagedOutput(
            name,
            self.root / relative,
            self.data_root / relative,
            versioned=False,
            layer=layer,
        )

    def commit(self) -> None:
        """Move every saved output into place; the commit record first."""
        moves = [
            (output.staged, output.final)
            for output in sorted(self.outputs, key=StagedOutput.order)
            if output.staged.exists()
        ]
        write_commit_record(self.root, self.data_root, moves)
        faults.in_commit(0)
        apply_commit(self.root, self.data_root)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def dataset_config(catalog: Any, name: str) -> dict[str, Any]:
    """The catalog configuration of ``name``: its own entry or its resolved pattern."""
    resolver = catalog.config_resolver
    config = resolver.config.get(name) or resolver.resolve_pattern(name)
    return dict(config or {})


@contextmanager
def _quiet_replacements():
    # DataCatalog logs a warning for every dataset it replaces; these are expected.
    catalog_logger = logging.getLogger("kedro.io.data_catalog")
    level = catalog_logger.level
    catalog_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        catalog_logger.setLevel(level)


def write_commit_record(
    root: Path, data_root: Path, moves: list[tuple[Path, Path]]
) -> None:
    """Write the list of moves, made visible by one rename: the commit point."""
    record = [
        [str(source.relative_to(root)), str(target.relative_to(data_root))]
        for source, target in moves
    ]
    root.mkdir(parents=True, exist_ok=True)
    temporary = root / f"{COMMIT_RECORD_NAME}.tmp"
    with temporary.open("w", encoding="utf-8") as stream:
        json.dump(record, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, root / COMMIT_RECORD_NAME)


def apply_commit(root: Path, data_root: Path) -> None:
    """Carry out the commit record in ``root``, then delete ``root``.

    Idempotent: a move already made (its source gone) is skipped, so an interrupted
    commit is finished by calling this again.
    """
    record = json.loads((root / COMMIT_RECORD_NAME).read_text(encoding="utf-8"))
    for moved, (source, target) in enumerate(record, start=1):
        move_into_place(root / source, data_root / target)
        faults.in_commit(moved)
    shutil.rmtree(root, ignore_errors=True)


def move_into_place(source: Path, target: Path) -> None:
    """Replace ``target`` by ``source`` with one rename."""
    if not source.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir() and target.exists():
        # A folder cannot be renamed over a non-empty one: set the old one aside.
        old = target.with_name(f".{target.name}.replaced")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(source, target)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.replace(source, target)


def recover(data_root: Path, keep: str | None = None) -> None:
    """Finish the commits of killed runs; delete what uncommitted runs left behind.

    Call with the run lock held. ``keep`` is the current run's id.
    """
    root = staging_root(Path(data_root).resolve())
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.name == keep:
            continue
        if (folder / COMMIT_RECORD_NAME).is_file():
            logger.warning("Finishing the interrupted commit of run %s", folder.name)
            apply_commit(folder, root.parent)
        else:
            logger.info("Deleting the staging folder of failed run %s", folder.name)
            shutil.rmtree(folder, ignore_errors=True)
