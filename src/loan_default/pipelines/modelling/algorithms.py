"""The algorithm blocks of ``parameters_modelling.yml`` and the estimators they describe.

Each block under ``algorithms:`` names an estimator class by import path and says how
to configure it. Adding an algorithm is adding a block: nothing here knows any
particular library beyond the scikit-learn estimator API (``get_params`` /
``set_params`` / ``fit`` / ``predict_proba``) and, for early stopping, the
``eval_set`` / ``early_stopping_rounds`` convention of gradient-boosting libraries.

A block with ``trains_on: spark`` names a Spark ML estimator instead (a
``pyspark.ml.Estimator`` such as ``xgboost.spark.SparkXGBClassifier``), whose
settings are its Spark params: it trains on the Spark model input of ``kedro run
--env spark`` without collecting it (docs/scale.md).

A block is read into ``AlgorithmBlock``, a pydantic model whose validators check it
against the estimator it names. Errors are ``AlgorithmConfigError``s naming the block
(``params:algorithms.<name>``) and each offending key.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import importlib
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from sklearn.base import clone
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.preprocessing import StandardScaler

from loan_default.errors import ProjectError
from loan_default.model.calibration import DEFAULT_CALIBRATION, unwrap_prior_correction

ALGORITHMS_KEY = "algorithms"
"""The parameters key whose children are the algorithm blocks."""

ClassImbalance = Literal["none", "scale_pos_weight", "balanced", "balanced_subsample"]
Calibration = Literal["prior_correction", "none"]  # model.calibration's methods
SearchMethod = Literal["none", "grid", "random"]
TrainsOn = Literal["driver", "spark"]
SPARK = "spark"
"""``trains_on`` of a block trained by Spark on the Spark model input."""
SEARCH_METHODS = get_args(SearchMethod)

# How each class_imbalance choice is applied: the estimator parameter it sets and
# its value ("auto" = negatives / positives of the training data).
CLASS_IMBALANCE: dict[str, tuple[str, str] | None] = {
    "none": None,
    "scale_pos_weight": ("scale_pos_weight", "auto"),
    "balanced": ("class_weight", "balanced"),
    "balanced_subsample": ("class_weight", "balanced_subsample"),
}

MONOTONE_PARAMETER = "monotone_constraints"
"""The estimator parameter a block's ``monotone_constraints`` key sets (XGBoost's
and LightGBM's name; it takes a mapping of feature name to -1, 0 or 1)."""
MonotoneDirection = Literal[-1, 0, 1]

MODEL_STEP = "model"
"""Name of the estimator's step when ``scale_features`` wraps it in a Pipeline."""

_BLOCK_ERROR = "algorithm_block"
"""Pydantic error type of the checks written here (the others are pydantic's own)."""


class AlgorithmConfigError(ProjectError, ValueError):
    """An algorithm block that cannot describe a working estimator."""


PROMOTION_NAMESPACE = "promotion"
"""The modelling pipeline's namespace for the promotion gate: no block may take it."""


def algorithm_block_names(parameters: Mapping[str, Any]) -> list[str]:
    """The names of the algorithm blocks in a run's parameters, in written order."""
    blocks = parameters.get(ALGORITHMS_KEY)
    if not isinstance(blocks, Mapping) or not blocks:
        raise AlgorithmConfigError(
            f"The run's parameters have no '{ALGORITHMS_KEY}:' mapping of algorithm "
            "blocks (expected in parameters_modelling.yml); found "
            f"{type(blocks).__name__}"
        )
    for name in blocks:
        if not str(name).isidentifier():
            raise AlgorithmConfigError(
                f"params:{ALGORITHMS_KEY}: algorithm name {name!r} must be a Python "
                "identifier (it becomes a pipeline namespace and a folder name)"
            )
        if name == PROMOTION_NAMESPACE:
            raise AlgorithmConfigError(
                f"params:{ALGORITHMS_KEY}: {name!r} is the promotion gate's namespace; "
                "give the algorithm block another name"
            )
    return [str(name) for name in blocks]


def spark_trained_block_names(parameters: Mapping[str, Any]) -> list[str]:
    """The algorithm blocks of a run's parameters that train on Spark
    (``trains_on: spark``), in written order."""
    return [
        name
        for name, block in parameters[ALGORITHMS_KEY].items()
        if isinstance(block, Mapping) and block.get("trains_on") == SPARK
    ]


def _fail(reason: str, key: str | None = None) -> PydanticCustomError:
    # The reason travels in ctx, not in the template: pydantic would format any
    # braces of a quoted value. `key` extends the error's location (see _describe).
    return PydanticCustomError(_BLOCK_ERROR, "{reason}", {"reason": reason, "key": key})


def _import_class(path: str, example: str) -> type:
    """The class an import path names (``example``: a path of the right form)."""
    if "." not in path:
        raise _fail(f"must be an import path such as {example!r}; got {path!r}")
    module_name, _, class_name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise _fail(
            f"cannot import module {module_name!r} of {path!r}: {error}"
        ) from error
    estimator_class = getattr(module, class_name, None)
    if not isinstance(estimator_class, type):
        raise _fail(f"module {module_name!r} has no class {class_name!r}")
    return estimator_class


def import_estimator_class(path: str) -> type:
    """The class an estimator import path names, if it can give probabilities."""
    estimator_class = _import_class(path, "sklearn.tree.DecisionTreeClassifier")
    if not hasattr(estimator_class, "predict_proba"):
        raise _fail(
            f"{path} has no predict_proba, so it cannot give a probability of default"
        )
    return estimator_class


def import_spark_estimator_class(path: str) -> type:
    """The class an import path names, if it is a Spark ML estimator."""
    try:
        from pyspark.ml import Estimator  # noqa: PLC0415 (PySpark is an extra)
    except ImportError as error:
        raise _fail(
            f"trains_on {SPARK!r} needs PySpark (the spark extra): {error}"
        ) from error
    estimator_class = _import_class(path, "xgboost.spark.SparkXGBClassifier")
    if not issubclass(estimator_class, Estimator):
        raise _fail(
            f"{path} is not a Spark ML estimator (a pyspark.ml.Estimator such as "
            f"xgboost.spark.SparkXGBClassifier), as trains_on {SPARK!r} needs; "
            "train it on the driver's copy instead (trains_on: driver)"
        )
    return estimator_class


def _set_by_the_template(name: str) -> bool:
    # The template names the columns a Spark estimator reads; a block does not.
    return name.endswith(("Col", "_col", "_cols")) or name == "arbitrary_params_dict"


@functools.cache
def estimator_parameters(path: str, trains_on: str = "driver") -> frozenset[str]:
    """The constructor parameters (``get_params`` names) of an estimator class; of a
    Spark estimator, its Spark params but the columns the template sets."""
    if trains_on == SPARK:
        params = import_spark_estimator_class(path)().params
        return frozenset(p.name for p in params if not _set_by_the_template(p.name))
    return frozenset(import_estimator_class(path)().get_params())


def _unknown(names: Iterable[str], known: Iterable[str], what: str) -> str | None:
    """'unknown <what> ...' with a "did you mean" hint per name, or None."""
    known = sorted(known)
    unknown = sorted(set(names) - set(known))
    if not unknown:
        return None
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown {what} {', '.join(hints)}; known: {known}"


def _parameters_of_estimator(info: ValidationInfo) -> frozenset[str] | None:
    # Present only when the estimator field was valid: fields validate in order.
    path = info.data.get("estimator")
    return estimator_parameters(path, _trains_on(info)) if path else None


def _trains_on(info: ValidationInfo) -> str:
    return info.data.get("trains_on", "driver")


def _searching(info: ValidationInfo) -> bool:
    return info.data.get("method", "none") != "none"


class SearchSpec(BaseModel):
    """A cross-validated hyperparameter search on the training data."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    method: SearchMethod = "none"
    space: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, validate_default=True
    )
    cv_folds: int | None = Field(default=None, validate_default=True)
    n_iter: PositiveInt | None = Field(default=None, validate_default=True)

    @field_validator("space")
    @classmethod
    def _space_to_search(cls, space: dict, info: ValidationInfo) -> dict:
        if _searching(info) and not space:
            raise _fail(f"must map hyperparameters to lists of values; got {space!r}")
        return space

    @field_validator("cv_folds")
    @classmethod
    def _folds_to_search(cls, cv_folds: int | None, info: ValidationInfo) -> int | None:
        if _searching(info) and (cv_folds is None or cv_folds < 2):
            raise _fail(f"must be an integer >= 2; got {cv_folds!r}")
        return cv_folds

    @field_validator("n_iter")
    @classmethod
    def _bound_of_random_search(
        cls, n_iter: int | None, info: ValidationInfo
    ) -> int | None:
        if info.data.get("method") == "random" and n_iter is None:
            raise _fail(
                "must be a positive integer for a random search (it bounds the "
                "number of candidates); got None"
            )
        return n_iter


class AlgorithmBlock(BaseModel):
    """One block under ``algorithms:``: an estimator and how to configure it.

    Strict: YAML gives native types, so "yes" is not a boolean nor "3" an integer.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # First: the other fields are checked against the estimator it describes.
    trains_on: TrainsOn = "driver"
    estimator: str
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    class_imbalance: ClassImbalance = "none"
    calibration: Calibration = DEFAULT_CALIBRATION
    scale_features: bool = False
    early_stopping_rounds: PositiveInt | None = None
    search: SearchSpec = Field(default_factory=SearchSpec)
    # Feature name or shell-style pattern -> -1 (risk never rises with it), 0 or 1;
    # resolved against the training columns when the estimator is fitted.
    monotone_constraints: dict[str, MonotoneDirection] = Field(default_factory=dict)

    @field_validator("hyperparameters", "search", "monotone_constraints", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        # `hyperparameters:` with nothing under it is null in YAML.
        return {} if value is None else value

    @field_validator("estimator")
    @classmethod
    def _importable(cls, path: str, info: ValidationInfo) -> str:
        if _trains_on(info) == SPARK:
            import_spark_estimator_class(path)
        else:
            import_estimator_class(path)
        return path

    @field_validator("scale_features")
    @classmethod
    def _scaling_on_the_driver(cls, scale: bool, info: ValidationInfo) -> bool:
        if scale and _trains_on(info) == SPARK:
            raise _fail(
                f"cannot be combined with trains_on {SPARK!r} (the scaler is fitted "
                "on the driver's copy of the training split)"
            )
        return scale

    @field_validator("hyperparameters")
    @classmethod
    def _known_hyperparameters(
        cls, hyperparameters: dict, info: ValidationInfo
    ) -> dict:
        known = _parameters_of_estimator(info)
        problem = known is not None and _unknown(
            hyperparameters, known, "hyperparameter"
        )
        if problem:
            raise _fail(problem)
        return hyperparameters

    @field_validator("class_imbalance")
    @classmethod
    def _estimator_takes_the_weight(cls, imbalance: str, info: ValidationInfo) -> str:
        known = _parameters_of_estimator(info)
        setting = CLASS_IMBALANCE[imbalance]
        if known is not None and setting and setting[0] not in known:
            raise _fail(
                f"{imbalance!r} sets {setting[0]!r}, which {info.data['estimator']} "
                "does not have"
            )
        return imbalance

    @field_validator("early_stopping_rounds")
    @classmethod
    def _early_stopping_possible(
        cls, rounds: int | None, info: ValidationInfo
    ) -> int | None:
        if rounds is None:
            return rounds
        known = _parameters_of_estimator(info)
        if known is not None and "early_stopping_rounds" not in known:
            raise _fail(
                f"{info.data['estimator']} does not support early stopping on a "
                "validation set"
            )
        if info.data.get("scale_features"):
            raise _fail(
                "cannot be combined with scale_features (the validation set would "
                "not be scaled)"
            )
        return rounds

    @field_validator("search")
    @classmethod
    def _searched_hyperparameters_exist(
        cls, search: SearchSpec, info: ValidationInfo
    ) -> SearchSpec:
        if search.method != "none" and _trains_on(info) == SPARK:
            raise _fail(
                f"must be none with trains_on {SPARK!r}: the search cross-validates "
                "on the driver's copy of the training split",
                key="method",
            )
        known = _parameters_of_estimator(info)
        problem = known is not None and _unknown(search.space, known, "hyperparameter")
        if problem:
            raise _fail(problem, key="space")
        return search

    @field_validator("monotone_constraints")
    @classmethod
    def _estimator_takes_constraints(
        cls, constraints: dict, info: ValidationInfo
    ) -> dict:
        known = _parameters_of_estimator(info)
        if not constraints or known is None:
            return constraints
        if MONOTONE_PARAMETER not in known:
            raise _fail(
                f"{info.data['estimator']} has no {MONOTONE_PARAMETER!r} parameter"
            )
        if MONOTONE_PARAMETER in info.data.get("hyperparameters", {}):
            raise _fail(
                f"cannot be combined with hyperparameters.{MONOTONE_PARAMETER} "
                "(set the constraints in one place)"
            )
        return constraints

    @property
    def estimator_class(self) -> type:
        if self.trains_on == SPARK:
            return import_spark_estimator_class(self.estimator)
        return import_estimator_class(self.estimator)

    @property
    def parameter_names(self) -> frozenset[str]:
        return estimator_parameters(self.estimator, self.trains_on)


# Wording of pydantic's own errors, each followed by "; got <value>".
_PHRASES = {
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "int_type": "must be an integer",
    "string_type": "must be a string",
    "list_type": "must be a non-empty list",
    "too_short": "must be a non-empty list",
}


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The model describing the mapping at ``path`` of a block (() is the block)."""
    model: type[BaseModel] = AlgorithmBlock
    for part in path:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _phrase(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == _BLOCK_ERROR:
        return ctx["reason"]
    if kind == "missing":
        return "must be set"
    if kind == "literal_error":
        model = _model_at(tuple(error["loc"][:-1]))
        field = model.model_fields.get(error["loc"][-1]) if model else None
        choices = list(get_args(field.annotation)) if field else ctx.get("expected")
        phrase = f"must be one of {choices}"
    elif kind == "greater_than" and ctx.get("gt") == 0:
        phrase = "must be a positive integer or null"
    else:
        phrase = _PHRASES.get(kind, error["msg"])
    return f"{phrase}; got {error['input']!r}"


def _line(where: str, estimator: str | None, path: tuple, phrase: str) -> str:
    # Checks that depend on the estimator say which one it is, as the block does.
    if estimator and path and path[0] in AlgorithmBlock.model_fields:
        if path[0] != "estimator":
            where += f" ({estimator})"
    where += "".join(f".{part}" for part in path)
    return where + (" " if phrase.startswith("must") else ": ") + phrase


def _describe(error: ValidationError, block: Any, algorithm: str | None) -> str:
    """Every problem of a block, one a line, each naming the block and the key."""
    where = f"params:{ALGORITHMS_KEY}.{algorithm}" if algorithm else "algorithm block"
    errors = error.errors()
    estimator = None
    if isinstance(block, Mapping) and not any(
        e["loc"][:1] == ("estimator",) for e in errors
    ):
        estimator = block.get("estimator")
    extra_keys: dict[tuple, list[str]] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            extra_keys.setdefault(tuple(e["loc"][:-1]), []).append(str(e["loc"][-1]))
    lines = []
    for e in errors:
        path = tuple(e["loc"])
        if e["type"] == "extra_forbidden":
            parent = path[:-1]
            if parent in extra_keys:  # one line per mapping, for all its keys
                model = _model_at(parent)
                known = list(model.model_fields) if model else []
                names = extra_keys.pop(parent)
                lines.append(
                    _line(where, estimator, parent, _unknown(names, known, "key"))
                )
            continue
        key = (e.get("ctx") or {}).get("key")
        lines.append(
            _line(where, estimator, path + ((key,) if key else ()), _phrase(e))
        )
    return "\n".join(lines)


def as_algorithm_block(
    block: AlgorithmBlock | Mapping[str, Any], algorithm: str | None = None
) -> AlgorithmBlock:
    """The typed block; ``AlgorithmConfigError`` naming the block and each bad key.

    ``algorithm`` is the block's name (``params:algorithms.<algorithm>``) when known.
    """
    if isinstance(block, AlgorithmBlock):
        return block
    try:
        return AlgorithmBlock.model_validate(block)
    except ValidationError as error:
        # The message says all pydantic's traceback would, in the block's terms.
        raise AlgorithmConfigError(_describe(error, block, algorithm)) from None


def validate_algorithm_block(
    block: AlgorithmBlock | Mapping[str, Any], algorithm: str | None = None
) -> type:
    """Check every key of an algorithm block; return the estimator class."""
    return as_algorithm_block(block, algorithm).estimator_class


def build_estimator(
    block: AlgorithmBlock | Mapping[str, Any],
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
    spec = as_algorithm_block(block, algorithm)
    estimator = spec.estimator_class()
    settings = {
        name: value for name, value in defaults.items() if name in spec.parameter_names
    }
    settings.update(spec.hyperparameters)
    imbalance = CLASS_IMBALANCE[spec.class_imbalance]
    if imbalance:
        name, value = imbalance
        settings[name] = class_ratio if value == "auto" else value
    if spec.early_stopping_rounds is not None:
        settings["early_stopping_rounds"] = spec.early_stopping_rounds
    if spec.trains_on == SPARK:
        estimator.setParams(**settings)  # Spark ML's name for set_params
        return estimator
    estimator.set_params(**settings)
    if spec.scale_features:
        return SklearnPipeline([("scale", StandardScaler()), (MODEL_STEP, estimator)])
    return estimator


def resolve_monotone_constraints(
    block: AlgorithmBlock | Mapping[str, Any],
    feature_names: Iterable[str],
    algorithm: str | None = None,
) -> dict[str, int]:
    """The block's monotone constraints by training column: each key is a column
    name or a pattern that must match at least one column; a column matched by
    several keys takes its exact name's, else the first pattern's in written order.
    Columns without a constraint are left out (0)."""
    spec = as_algorithm_block(block, algorithm)
    names = list(feature_names)
    where = f"params:{ALGORITHMS_KEY}.{algorithm}" if algorithm else "algorithm block"
    where += f" ({spec.estimator}).monotone_constraints"
    unmatched = [
        key for key in spec.monotone_constraints if not fnmatch.filter(names, key)
    ]
    if unmatched:
        hints = []
        for key in unmatched:
            close = difflib.get_close_matches(key, names, n=1)
            hints.append(
                f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            )
        raise AlgorithmConfigError(
            f"{where}: unknown feature(s) {', '.join(hints)}: no training column "
            "has that name or matches that pattern"
        )
    resolved: dict[str, int] = {}
    for name in names:
        if name in spec.monotone_constraints:
            direction = spec.monotone_constraints[name]
        else:
            direction = next(
                (
                    value
                    for key, value in spec.monotone_constraints.items()
                    if fnmatch.fnmatchcase(name, key)
                ),
                0,
            )
        if direction:
            resolved[name] = int(direction)
    return resolved


def applied_parameters(block: AlgorithmBlock | Mapping[str, Any]) -> set[str]:
    """Estimator parameters a block sets through its own keys, not hyperparameters."""
    spec = as_algorithm_block(block)
    names = set()
    imbalance = CLASS_IMBALANCE[spec.class_imbalance]
    if imbalance:
        names.add(imbalance[0])
    if spec.early_stopping_rounds is not None:
        names.add("early_stopping_rounds")
    if spec.monotone_constraints:
        names.add(MONOTONE_PARAMETER)
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


def search_space(block: AlgorithmBlock | Mapping[str, Any]) -> dict[str, list[Any]]:
    """The search space with keys as the built estimator (maybe a Pipeline) names them."""
    spec = as_algorithm_block(block)
    if spec.scale_features:
        return {
            f"{MODEL_STEP}__{name}": values
            for name, values in spec.search.space.items()
        }
    return dict(spec.search.space)


def without_early_stopping(estimator: Any) -> Any:
    """A clone that trains to its full size, for cross-validation folds.

    Folds have no validation set to stop on; early stopping is applied only when the
    chosen configuration is refitted on the whole training data.
    """
    copy = clone(estimator)
    if "early_stopping_rounds" in core_estimator(copy).get_params():
        core_estimator(copy).set_params(early_stopping_rounds=None)
    return copy
