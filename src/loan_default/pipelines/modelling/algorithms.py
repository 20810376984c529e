"""The algorithm blocks of ``parameters_modelling.yml`` and the estimators they describe.

Each block under ``algorithms:`` names an estimator class by import path and says how
to configure it. Adding an algorithm is adding a block: nothing here knows any
particular library beyond the scikit-learn estimator API (``get_params`` /
``set_params`` / ``fit`` / ``predict_proba``) and, for early stopping, the
``eval_set`` / ``early_stopping_rounds`` convention of gradient-boosting libraries.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sklearn.base import clone
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.preprocessing import StandardScaler

from loan_default.model.calibration import (
    CALIBRATION_METHODS,
    DEFAULT_CALIBRATION,
    unwrap_prior_correction,
)

ALGORITHMS_KEY = "algorithms"
"""The parameters key whose children are the algorithm blocks."""

BLOCK_KEYS = {
    "estimator",
    "calibration",
    "hyperparameters",
    "class_imbalance",
    "early_stopping_rounds",
    "scale_features",
    "search",
}
SEARCH_KEYS = {"method", "space", "cv_folds", "n_iter"}
SEARCH_METHODS = ("none", "grid", "random")

# How each class_imbalance choice is applied: the estimator parameter it sets and
# its value ("auto" = negatives / positives of the training data).
CLASS_IMBALANCE = {
    "none": None,
    "scale_pos_weight": ("scale_pos_weight", "auto"),
    "balanced": ("class_weight", "balanced"),
    "balanced_subsample": ("class_weight", "balanced_subsample"),
}

MODEL_STEP = "model"
"""Name of the estimator's step when ``scale_features`` wraps it in a Pipeline."""


class AlgorithmConfigError(ValueError):
    """An algorithm block that cannot describe a working estimator."""


def _where(algorithm: str | None) -> str:
    return f"params:{ALGORITHMS_KEY}.{algorithm}" if algorithm else "algorithm block"


def project_conf_source() -> Path:
    """The project's configuration folder, found from the working directory."""
    from kedro.framework.project import settings  # noqa: PLC0415
    from kedro.utils import find_kedro_project  # noqa: PLC0415

    # Fall back to the source checkout when run from outside the project folder.
    project_path = find_kedro_project(Path.cwd()) or Path(__file__).resolve().parents[4]
    return project_path / settings.CONF_SOURCE


def load_algorithm_blocks(
    conf_source: str | Path | None = None, env: str | None = None
) -> dict[str, dict[str, Any]]:
    """The algorithm blocks of the parameters config, in the order they are written.

    Reads base plus ``env`` (default: ``KEDRO_ENV``, else the project's default run
    environment, ``local``) with the project's config loader settings.
    """
    from kedro.framework.project import settings  # noqa: PLC0415

    conf_source = Path(conf_source) if conf_source else project_conf_source()
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(conf_source),
        env=env or os.environ.get("KEDRO_ENV"),
        **settings.CONFIG_LOADER_ARGS,
    )
    parameters = loader["parameters"]
    blocks = parameters.get(ALGORITHMS_KEY)
    if not isinstance(blocks, Mapping) or not blocks:
        raise AlgorithmConfigError(
            f"The parameters in {conf_source} have no '{ALGORITHMS_KEY}:' mapping of "
            "algorithm blocks (expected in parameters_modelling.yml); found "
            f"{type(blocks).__name__}"
        )
    for name in blocks:
        if not str(name).isidentifier():
            raise AlgorithmConfigError(
                f"params:{ALGORITHMS_KEY}: algorithm name {name!r} must be a Python "
                "identifier (it becomes a pipeline namespace and a folder name)"
            )
    return {str(name): dict(block) for name, block in blocks.items()}


def _import_estimator_class(path: Any, algorithm: str | None) -> type:
    where = _where(algorithm)
    if not isinstance(path, str) or "." not in path:
        raise AlgorithmConfigError(
            f"{where}.estimator must be an import path such as "
            f"'sklearn.tree.DecisionTreeClassifier'; got {path!r}"
        )
    module_name, _, class_name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise AlgorithmConfigError(
            f"{where}.estimator: cannot import module {module_name!r} of {path!r}: "
            f"{error}"
        ) from error
    estimator_class = getattr(module, class_name, None)
    if not isinstance(estimator_class, type):
        raise AlgorithmConfigError(
            f"{where}.estimator: module {module_name!r} has no class {class_name!r}"
        )
    if not hasattr(estimator_class, "predict_proba"):
        raise AlgorithmConfigError(
            f"{where}.estimator: {path} has no predict_proba, so it cannot give a "
            "probability of default"
        )
    return estimator_class


def _check_names(
    names: Any, known: Mapping[str, Any] | set[str], where: str, what: str
) -> None:
    unknown = sorted(set(names) - set(known))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(known), n=1)
            hints.append(
                f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            )
        raise AlgorithmConfigError(
            f"{where}: unknown {what} {', '.join(hints)}; known: {sorted(known)}"
        )


def _check_search(search: Any, parameter_names: set[str], where: str) -> None:
    if not isinstance(search, Mapping):
        raise AlgorithmConfigError(f"{where}.search must be a mapping; got {search!r}")
    _check_names(search, SEARCH_KEYS, f"{where}.search", "key")
    method = search.get("method", "none")
    if method not in SEARCH_METHODS:
        raise AlgorithmConfigError(
            f"{where}.search.method must be one of {list(SEARCH_METHODS)}; "
            f"got {method!r}"
        )
    if method == "none":
        return
    space = search.get("space")
    if not isinstance(space, Mapping) or not space:
        raise AlgorithmConfigError(
            f"{where}.search.space must map hyperparameters to lists of values; "
            f"got {space!r}"
        )
    _check_names(space, parameter_names, f"{where}.search.space", "hyperparameter")
    for name, values in space.items():
        if not isinstance(values, list) or not values:
            raise AlgorithmConfigError(
                f"{where}.search.space.{name} must be a non-empty list; got {values!r}"
            )
    cv_folds = search.get("cv_folds")
    if not isinstance(cv_folds, int) or cv_folds < 2:
        raise AlgorithmConfigError(
            f"{where}.search.cv_folds must be an integer >= 2; got {cv_folds!r}"
        )
    if method == "random":
        n_iter = search.get("n_iter")
        if not isinstance(n_iter, int) or n_iter < 1:
            raise AlgorithmConfigError(
                f"{where}.search.n_iter must be a positive integer for a random "
                f"search (it bounds the number of candidates); got {n_iter!r}"
            )


def validate_algorithm_block(
    block: Mapping[str, Any], algorithm: str | None = None
) -> type:
    """Check every key of an algorithm block; return the estimator class.

    Errors name the block (``params:algorithms.<algorithm>`` when the name is known)
    and the offending key.
    """
    where = _where(algorithm)
    if not isinstance(block, Mapping):
        raise AlgorithmConfigError(f"{where} must be a mapping; got {block!r}")
    _check_names(block, BLOCK_KEYS, where, "key")
    estimator_class = _import_estimator_class(block.get("estimator"), algorithm)
    where = f"{where} ({block['estimator']})"
    parameter_names = set(estimator_class().get_params())

    hyperparameters = block.get("hyperparameters") or {}
    if not isinstance(hyperparameters, Mapping):
        raise AlgorithmConfigError(
            f"{where}.hyperparameters must be a mapping; got {hyperparameters!r}"
        )
    _check_names(
        hyperparameters, parameter_names, f"{where}.hyperparameters", "hyperparameter"
    )

    imbalance = block.get("class_imbalance", "none")
    if imbalance not in CLASS_IMBALANCE:
        raise AlgorithmConfigError(
            f"{where}.class_imbalance must be one of {list(CLASS_IMBALANCE)}; "
            f"got {imbalance!r}"
        )
    if CLASS_IMBALANCE[imbalance] and CLASS_IMBALANCE[imbalance][0] not in (
        parameter_names
    ):
        raise AlgorithmConfigError(
            f"{where}.class_imbalance: {imbalance!r} sets "
            f"{CLASS_IMBALANCE[imbalance][0]!r}, which {block['estimator']} does not "
            "have"
        )

    rounds = block.get("early_stopping_rounds")
    if rounds is not None:
        if not isinstance(rounds, int) or rounds < 1:
            raise AlgorithmConfigError(
                f"{where}.early_stopping_rounds must be a positive integer or null; "
                f"got {rounds!r}"
            )
        if "early_stopping_rounds" not in parameter_names:
            raise AlgorithmConfigError(
                f"{where}.early_stopping_rounds: {block['estimator']} does not "
                "support early stopping on a validation set"
            )
        if block.get("scale_features"):
            raise AlgorithmConfigError(
                f"{where}: early_stopping_rounds cannot be combined with "
                "scale_features (the validation set would not be scaled)"
            )
    calibration = block.get("calibration", DEFAULT_CALIBRATION)
    if calibration not in CALIBRATION_METHODS:
        raise AlgorithmConfigError(
            f"{where}.calibration must be one of {list(CALIBRATION_METHODS)}; "
            f"got {calibration!r}"
        )
    if not isinstance(block.get("scale_features", False), bool):
        raise AlgorithmConfigError(
            f"{where}.scale_features must be true or false; "
            f"got {block['scale_features']!r}"
        )
    _check_search(block.get("search", {"method": "none"}), parameter_names, where)
    return estimator_class


def build_estimator(
    block: Mapping[str, Any],
    defaults: Mapping[str, Any],
    class_ratio: float,
    algorithm: str | None = None,
) -> Any:
    """The unfitted estimator an algorithm block describes.

    ``defaults`` (e.g. ``random_state``) are applied to the estimator
    parameters of those names unless the block's hyperparameters set them.
    ``class_ratio`` (negatives / positives of the training data) is the value of
    ``scale_pos_weight`` when class_imbalance asks for it.
    """
    estimator_class = validate_algorithm_block(block, algorithm)
    estimator = estimator_class()
    parameter_names = set(estimator.get_params())
    settings = {
        name: value for name, value in defaults.items() if name in parameter_names
    }
    settings.update(block.get("hyperparameters") or {})
    imbalance = CLASS_IMBALANCE[block.get("class_imbalance", "none")]
    if imbalance:
        name, value = imbalance
        settings[name] = class_ratio if value == "auto" else value
    if block.get("early_stopping_rounds") is not None:
        settings["early_stopping_rounds"] = block["early_stopping_rounds"]
    estimator.set_params(**settings)
    if block.get("scale_features"):
        return SklearnPipeline([("scale", StandardScaler()), (MODEL_STEP, estimator)])
    return estimator


def applied_parameters(block: Mapping[str, Any]) -> set[str]:
    """Estimator parameters a block sets through its own keys, not hyperparameters."""
    names = set()
    imbalance = CLASS_IMBALANCE[block.get("class_imbalance", "none")]
    if imbalance:
        names.add(imbalance[0])
    if block.get("early_stopping_rounds") is not None:
        names.add("early_stopping_rounds")
    return names


def positive_class_weight(estimator: Any, class_ratio: float) -> float:
    """Weight of a positive relative to a negative that ``estimator`` trains with.

    Read from the estimator's own settings, so that weights set as hyperparameters
    count too: ``scale_pos_weight``; ``class_weight`` "balanced" or
    "balanced_subsample" (``class_ratio``, negatives / positives of the training
    data; per bootstrap sample on average for the latter) or a {class: weight} map.
    """
    parameters = core_estimator(estimator).get_params()
    scale_pos_weight = parameters.get("scale_pos_weight")
    if scale_pos_weight is not None:
        return float(scale_pos_weight)
    class_weight = parameters.get("class_weight")
    if class_weight in ("balanced", "balanced_subsample"):
        return float(class_ratio)
    if isinstance(class_weight, Mapping):
        return float(class_weight.get(1, 1.0)) / float(class_weight.get(0, 1.0))
    return 1.0


def core_estimator(model: Any) -> Any:
    """The estimator itself: inside a prior correction, a scaling Pipeline, or not."""
    model = unwrap_prior_correction(model)
    if isinstance(model, SklearnPipeline):
        return model.named_steps[MODEL_STEP]
    return model


def search_space(block: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The search space with keys as the built estimator (maybe a Pipeline) names them."""
    space = dict((block.get("search") or {}).get("space") or {})
    if block.get("scale_features"):
        return {f"{MODEL_STEP}__{name}": values for name, values in space.items()}
    return space


def without_early_stopping(estimator: Any) -> Any:
    """A clone that trains to its full size, for cross-validation folds.

    Folds have no validation set to stop on; early stopping is applied only when the
    chosen configuration is refitted on the whole training data.
    """
    copy = clone(estimator)
    if "early_stopping_rounds" in core_estimator(copy).get_params():
        core_estimator(copy).set_params(early_stopping_rounds=None)
    return copy
