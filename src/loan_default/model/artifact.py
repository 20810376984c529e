"""The saved form of a ``ScoringModel``: a folder of plain files that load without
running code, and a manifest of their SHA-256, written last.

    manifest.json      format, metadata, decision rule, feature parameters, reason
                       statements, the estimator's kind and settings, and the
                       SHA-256 of each file
    transformer.json   the fitted feature transformer's learnt state
    estimator.json     an XGBoost booster in XGBoost's own JSON format, or
    estimator.skops    a scikit-learn estimator in skops' format, loaded with an
                       explicit list of trusted types
    estimator.lightgbm.txt, estimator.cbm
                       the optional boosters (``boosters``): LightGBM's text
                       model, CatBoost's own binary model format

Loading refuses a folder with a file the manifest does not list, a file whose
SHA-256 differs from the manifest's, a type outside the trusted list, or an
unknown format: a planted or altered file is never read. A folder is written under
a temporary name and renamed into place once complete, so a reader never sees half
of one; ``ScoringModelDataset`` keeps one such folder per Kedro version.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import skops.io
import xgboost
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    generate_timestamp,
)
from kedro_datasets.json import JSONDataset
from skops.io.exceptions import UntrustedTypesFoundException

from loan_default.datasets import sha256_of
from loan_default.errors import ProjectError
from loan_default.features import FeatureTransformer
from loan_default.model.calibration import PriorCorrectedClassifier
from loan_default.model.scoring_model import ScoringModel

FORMAT = "loan-default-scoring-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TRANSFORMER = "transformer.json"
XGBOOST_ESTIMATOR = "estimator.json"
SKLEARN_ESTIMATOR = "estimator.skops"
LIGHTGBM_ESTIMATOR = "estimator.lightgbm.txt"
CATBOOST_ESTIMATOR = "estimator.cbm"
LIGHTGBM_KIND = "lightgbm.LGBMClassifier"
CATBOOST_KIND = "catboost.CatBoostClassifier"
BOOSTERS_MODULE = "loan_default.model.boosters"

TRUSTED_SKOPS_TYPES = (
    # The types the project's scikit-learn algorithm blocks are made of, beyond those
    # skops trusts by default (scikit-learn estimators, numpy arrays and scalars).
    "sklearn.tree._tree.Tree",
    # The points scorecard: plain arrays and lists once fitted (model/scorecard.py).
    "loan_default.model.scorecard.WoEScorecard",
)
"""Types a saved scikit-learn estimator may contain; any other is refused."""


class ArtifactRefusedError(ProjectError, ValueError):
    """A saved model that is incomplete, altered, or of a kind that is not loaded."""


def _json_value(value: Any) -> Any:
    """``value`` as JSON, or a marker that it cannot be saved as such."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value  # NaN and infinities as Python's json writes and reads them
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _xgboost_parameters(model: xgboost.XGBModel) -> dict[str, Any]:
    """The wrapper's settings that are plain values (the booster holds the trees)."""
    parameters = {}
    for name, value in model.get_params().items():
        try:
            parameters[name] = _json_value(value)
        except TypeError:
            continue  # e.g. callbacks: not needed to predict
    return parameters


def _save_estimator(estimator: Any, folder: Path) -> dict[str, Any]:
    """Writes the estimator; returns how to read it back."""
    calibration = None
    if isinstance(estimator, PriorCorrectedClassifier):
        calibration = {
            "method": "prior_correction",
            "positive_weight": float(estimator.positive_weight),
        }
        estimator = estimator.estimator
    if isinstance(estimator, xgboost.XGBClassifier):
        estimator.save_model(folder / XGBOOST_ESTIMATOR)
        return {
            "kind": "xgboost.XGBClassifier",
            "file": XGBOOST_ESTIMATOR,
            "parameters": _xgboost_parameters(estimator),
            "calibration": calibration,
        }
    booster = _save_booster(estimator, folder)
    if booster is not None:
        return {**booster, "calibration": calibration}
    skops.io.dump(estimator, folder / SKLEARN_ESTIMATOR)
    return {
        "kind": "skops",
        "file": SKLEARN_ESTIMATOR,
        "class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "calibration": calibration,
    }


def _save_booster(estimator: Any, folder: Path) -> dict[str, Any] | None:
    """A LightGBM or CatBoost estimator in its library's own format; None for
    others. Their classes exist only once the boosters module is imported."""
    boosters = sys.modules.get(BOOSTERS_MODULE)
    if boosters is None:
        return None
    if isinstance(estimator, boosters.LightGBMClassifier):
        (folder / LIGHTGBM_ESTIMATOR).write_text(
            estimator.model_to_string(), encoding="utf-8"
        )
        return {
            "kind": LIGHTGBM_KIND,
            "file": LIGHTGBM_ESTIMATOR,
            "parameters": _xgboost_parameters(estimator),
        }
    if isinstance(estimator, boosters.CatBoostClassifier):
        estimator.save_model(str(folder / CATBOOST_ESTIMATOR), format="cbm")
        return {"kind": CATBOOST_KIND, "file": CATBOOST_ESTIMATOR}
    return None


def _load_booster(folder: Path, kind: str, path: Path, description: dict) -> Any:
    """A LightGBM or CatBoost estimator from its library's format; refused when the
    extra is not installed or the library cannot parse the file."""
    try:
        boosters = importlib.import_module(BOOSTERS_MODULE)
    except ImportError as error:
        raise _refuse(
            folder,
            f"its {kind} estimator needs the boosters extra "
            f'(pip install "loan_default[boosters]"): {error}',
        ) from None
    try:
        if kind == LIGHTGBM_KIND:
            return boosters.LightGBMClassifier.from_model_string(
                path.read_text(encoding="utf-8"), description.get("parameters", {})
            )
        estimator = boosters.CatBoostClassifier()
        estimator.load_model(str(path), format="cbm")
        return estimator
    except Exception as error:  # each library raises its own parse error
        raise _refuse(
            folder, f"{path.name} is not a valid {kind} model ({error})"
        ) from None


def save_scoring_model(model: ScoringModel, folder: Path) -> dict[str, Any]:
    """Writes ``model`` as the folder ``folder`` (which must not exist yet);
    returns its manifest as loading reads it."""
    folder = Path(folder)
    if folder.exists():
        raise DatasetError(f"{folder} exists already: a saved model is never replaced")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (staging / TRANSFORMER).write_text(
            json.dumps(_json_value(model.transformer.to_state()), indent=1),
            encoding="utf-8",
        )
        estimator = _save_estimator(model.estimator, staging)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "metadata": _json_value(model.metadata),
            "threshold": model.threshold,
            "risk_decile_edges": (
                None
                if model.risk_decile_edges is None
                else list(model.risk_decile_edges)
            ),
            "feature_parameters": _json_value(model.feature_parameters),
            "reason_statements": _json_value(model.reason_statements),
            "estimator": estimator,
            "files": {
                name: sha256_of(staging / name) for name in sorted(os.listdir(staging))
            },
        }
        # The manifest last, then the folder into place in one rename.
        text = json.dumps(manifest, indent=1)
        (staging / MANIFEST).write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return json.loads(text)


def _refuse(folder: Path, reason: str) -> ArtifactRefusedError:
    return ArtifactRefusedError(f"{folder}: refused to load this model: {reason}")


def _verified_manifest(folder: Path) -> dict[str, Any]:
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise _refuse(folder, f"it has no {MANIFEST} (an incomplete or foreign folder)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(folder, f"{MANIFEST} is not valid JSON ({error})") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("format_version") != FORMAT_VERSION
    ):
        raise _refuse(
            folder,
            f"{MANIFEST} does not describe a {FORMAT} of version {FORMAT_VERSION}",
        )
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise _refuse(folder, f"{MANIFEST} lists no files")
    present = set(os.listdir(folder)) - {MANIFEST}
    unlisted = sorted(present - set(listed))
    if unlisted:
        raise _refuse(folder, f"it holds files its manifest does not list: {unlisted}")
    for name, expected in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            raise _refuse(folder, f"{name}, listed in the manifest, is missing")
        if sha256_of(path) != expected:
            raise _refuse(
                folder,
                f"the SHA-256 of {name} differs from the manifest's: the file was "
                "altered after training",
            )
    return manifest


def _load_estimator(folder: Path, description: dict[str, Any]) -> Any:
    kind = description.get("kind")
    path = folder / str(description.get("file"))
    if kind == "xgboost.XGBClassifier":
        estimator = xgboost.XGBClassifier(**description.get("parameters", {}))
        estimator.load_model(path)
    elif kind == "skops":
        # skops audits the file's types before it builds any object, and refuses
        # types beyond the list: one read of the file.
        try:
            estimator = skops.io.load(path, trusted=list(TRUSTED_SKOPS_TYPES))
        except UntrustedTypesFoundException:
            untrusted = skops.io.get_untrusted_types(file=path)
            refused = sorted(set(untrusted) - set(TRUSTED_SKOPS_TYPES))
            raise _refuse(
                folder, f"the estimator holds untrusted types {refused}"
            ) from None
    elif kind in (LIGHTGBM_KIND, CATBOOST_KIND):
        estimator = _load_booster(folder, kind, path, description)
    else:
        raise _refuse(folder, f"unknown estimator kind {kind!r}")
    calibration = description.get("calibration")
    if calibration:
        estimator = PriorCorrectedClassifier(
            estimator, positive_weight=calibration["positive_weight"]
        )
    return estimator


def load_scoring_model(folder: Path) -> ScoringModel:
    """The model saved at ``folder``, after checking every file against the
    manifest (``ArtifactRefusedError`` otherwise)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _refuse(folder, "it is not a saved-model folder")
    manifest = _verified_manifest(folder)
    state = json.loads((folder / TRANSFORMER).read_text(encoding="utf-8"))
    return _from_manifest(
        manifest,
        FeatureTransformer.from_state(state),
        _load_estimator(folder, manifest["estimator"]),
    )


def _from_manifest(
    manifest: dict[str, Any], transformer: FeatureTransformer, estimator: Any
) -> ScoringModel:
    edges = manifest["risk_decile_edges"]
    return ScoringModel(
        transformer=transformer,
        estimator=estimator,
        feature_parameters=manifest["feature_parameters"],
        threshold=manifest["threshold"],
        risk_decile_edges=None if edges is None else tuple(edges),
        metadata=manifest["metadata"],
        reason_statements=manifest.get("reason_statements") or {},
    )


def newest_complete_version(path: Path) -> Path:
    """The saved-model folder ``path`` designates: the folder itself, a version
    folder holding it, or the versioned dataset folder, whose newest version that
    holds a complete model is taken (version names are timestamps that sort in
    time order; a model folder appears only once complete)."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return path
    if (path / path.parent.name / MANIFEST).is_file():  # a version folder
        return path / path.parent.name
    versions = sorted(
        version / path.name
        for version in (path.iterdir() if path.is_dir() else [])
        if (version / path.name / MANIFEST).is_file()
    )
    if not versions:
        raise FileNotFoundError(
            f"no saved model at {path} (expected a folder with a {MANIFEST}, or "
            "version folders holding one): run `kedro run` first to train and save "
            "the champion, or pass --model-path"
        )
    return versions[-1]


def _is_complete(path: str) -> bool:
    """A version counts once its model folder is complete (a function, not a
    lambda: datasets are pickled for ParallelRunner's workers)."""
    return (Path(path) / MANIFEST).is_file()


class ScoringModelDataset(AbstractVersionedDataset[ScoringModel, ScoringModel]):
    """A ``ScoringModel`` saved as a verified folder (see the module), one per
    Kedro version. The version is written into the model as its ``model_version``,
    so a score names the exact files that made it.

    Loading the version this dataset itself saved gives the model it saved, as
    written, rather than reading the folder back: a run's later nodes (choosing
    the champion, reporting) read every algorithm's model once more.
    """

    def __init__(
        self,
        filepath: str,
        version: Version | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            filepath=PurePosixPath(filepath),
            version=version,
            exists_function=_is_complete,
        )
        self.metadata = metadata
        self._saved: tuple[Path, ScoringModel] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # ParallelRunner's workers get the dataset, not the model it holds.
        return {**self.__dict__, "_saved": None}

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "version": self._version}

    def load(self) -> ScoringModel:
        path = Path(str(self._get_load_path()))
        if self._saved is not None and self._saved[0] == path:
            return self._saved[1]
        return load_scoring_model(path)

    def save(self, data: ScoringModel) -> None:
        if not isinstance(data, ScoringModel):
            raise DatasetError(
                f"{self._filepath} holds a ScoringModel; got {type(data).__name__}"
            )
        version = self.resolve_save_version() or generate_timestamp()
        path = Path(str(self._get_save_path()))
        stamped = data.with_metadata(model_version=version)
        manifest = save_scoring_model(stamped, path)
        # What loading the folder gives: the manifest's values as read back, with
        # the fitted parts that were written.
        self._saved = (
            path,
            _from_manifest(manifest, stamped.transformer, stamped.estimator),
        )

    def _exists(self) -> bool:
        try:
            path = Path(str(self._get_load_path()))
        except DatasetError:
            return False
        return (path / MANIFEST).is_file()


class FeatureTransformerDataset(JSONDataset):
    """A fitted ``FeatureTransformer`` saved as its JSON state (loading runs no
    code), versioned like any ``json.JSONDataset``."""

    def save(self, data: FeatureTransformer) -> None:
        if not isinstance(data, FeatureTransformer):
            raise DatasetError(
                f"{self._filepath} holds a FeatureTransformer; got {type(data).__name__}"
            )
        # The parent's own save: this one is already wrapped by Kedro's versioning.
        JSONDataset.save.__wrapped__(self, _json_value(data.to_state()))

    def load(self) -> FeatureTransformer:
        return FeatureTransformer.from_state(JSONDataset.load.__wrapped__(self))
