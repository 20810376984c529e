"""Exact path-dependent TreeSHAP of an XGBoost booster, from tables built once.

XGBoost's ``pred_contribs`` computes exact TreeSHAP per row and tree in
O(leaves x depth^2). For a leaf whose path tests the unique features U (|U| = d),
the SHAP value it gives feature k depends on the row only through which of those
features' conditions the row meets (a d-bit mask)::

    phi_k += v * (m_k - z_k) * sum_{S subset of ones(m) - {k}}
                 |S|! (d - |S| - 1)! / d! * prod_{j in U - S - {k}} z_j

with ``v`` the leaf value, ``m_k`` 1 when the row meets every split on k along the
path, and ``z_j`` the share of the training cover that follows the path at j's
splits. That is the path-dependent value function TreeSHAP uses, so the sum is the
same number, and for shallow trees the right-hand side is a small table per leaf
(2^d masks x d features). Scoring a row is then a lookup per leaf: the same values
as ``pred_contribs`` (tested) at a fraction of its cost, which is what reason codes
for a thousand applications in one request need.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass

import numba
import numpy as np
import xgboost

MAX_DEPTH = 10
"""Deeper trees would make the per-leaf tables (2^depth rows) too large."""


@dataclass(frozen=True)
class _Leaf:
    value: float
    features: tuple[int, ...]  # unique features on the path, in path order
    cover_shares: tuple[float, ...]  # z_j per feature
    tests: tuple[tuple[tuple[int, bool], ...], ...]  # per feature: (node, goes left)


def _tree_leaves(tree: dict, number: dict[int, int]) -> list[_Leaf]:
    left, right = tree["left_children"], tree["right_children"]
    feature, value = tree["split_indices"], tree["split_conditions"]
    cover = tree["sum_hessian"]
    leaves: list[_Leaf] = []

    def walk(node: int, path: list[tuple[int, int, bool, float]]) -> None:
        if left[node] == -1:
            order: dict[int, int] = {}
            shares: list[float] = []
            tests: list[list[tuple[int, bool]]] = []
            for parent, split_feature, goes_left, share in path:
                if split_feature not in order:
                    order[split_feature] = len(order)
                    shares.append(1.0)
                    tests.append([])
                slot = order[split_feature]
                shares[slot] *= share
                tests[slot].append((number[parent], goes_left))
            leaves.append(
                _Leaf(
                    float(value[node]),
                    tuple(order),
                    tuple(shares),
                    tuple(tuple(t) for t in tests),
                )
            )
            return
        for child, goes_left in ((left[node], True), (right[node], False)):
            share = cover[child] / cover[node] if cover[node] > 0 else 0.0
            walk(child, [*path, (node, feature[node], goes_left, share)])

    walk(0, [])
    return leaves


def _weight_table(leaf: _Leaf) -> np.ndarray:
    """(2^d, d) SHAP values of the leaf's features for each mask of met tests."""
    d = len(leaf.features)
    z = leaf.cover_shares
    table = np.zeros((1 << d, d))
    for mask in range(1 << d):
        ones = [j for j in range(d) if mask >> j & 1]
        for k in range(d):
            others = [j for j in ones if j != k]
            total = 0.0
            for size in range(len(others) + 1):
                weight = (
                    math.factorial(size) * math.factorial(d - size - 1)
                ) / math.factorial(d)
                for subset in itertools.combinations(others, size):
                    chosen = set(subset)
                    product = 1.0
                    for j in range(d):
                        if j != k and j not in chosen:
                            product *= z[j]
                    total += weight * product
            met = float(mask >> k & 1)
            table[mask, k] = leaf.value * (met - z[k]) * total
    return table


class TreeShapTables:
    """Exact TreeSHAP contributions of an XGBoost booster's first ``n_rounds``
    boosting rounds (all: None), by table lookup. ``contributions`` gives what
    ``booster.predict(..., pred_contribs=True, iteration_range=(0, n_rounds))``
    gives without its bias column."""

    def __init__(self, booster: xgboost.Booster, n_rounds: int | None = None) -> None:
        model = json.loads(booster.save_raw("json"))
        gradient_booster = model["learner"]["gradient_booster"]
        if gradient_booster.get("name") != "gbtree":
            raise TypeError(
                f"exact TreeSHAP tables need a gbtree booster; got "
                f"{gradient_booster.get('name')!r}"
            )
        trees = gradient_booster["model"]["trees"]
        if n_rounds:
            # Rounds may hold several trees (a boosted random forest).
            trees = trees[: gradient_booster["model"]["iteration_indptr"][n_rounds]]
        self.n_features = int(model["learner"]["learner_model_param"]["num_feature"])
        node_feature, node_threshold, node_default_left = [], [], []
        leaves: list[_Leaf] = []
        for tree in trees:
            # Split nodes only, numbered across trees: leaves are never tested.
            splits = [n for n, child in enumerate(tree["left_children"]) if child != -1]
            number = {node: len(node_feature) + i for i, node in enumerate(splits)}
            leaves += _tree_leaves(tree, number)
            node_feature += [tree["split_indices"][n] for n in splits]
            node_threshold += [tree["split_conditions"][n] for n in splits]
            node_default_left += [bool(tree["default_left"][n]) for n in splits]
        depth = max((len(leaf.features) for leaf in leaves), default=0)
        if depth > MAX_DEPTH:
            raise ValueError(
                f"exact TreeSHAP tables support paths of at most {MAX_DEPTH} distinct "
                f"features; this booster has {depth}"
            )
        self._node_feature = np.asarray(node_feature, dtype="int64")
        self._node_threshold = np.asarray(node_threshold, dtype="float32")
        self._node_default_left = np.asarray(node_default_left, dtype=bool)
        self._depth = depth
        self._build(leaves)

    def _build(self, leaves: list[_Leaf]) -> None:
        n_leaves = len(leaves)
        # Per leaf: its slots (unique features), each slot's tests (node, goes
        # left), and its table of 2^d x d values, all in flat arrays.
        self._leaf_depth = np.array([len(leaf.features) for leaf in leaves], "int64")
        self._slot_start = np.zeros(n_leaves + 1, dtype="int64")
        self._slot_start[1:] = np.cumsum(self._leaf_depth)
        self._slot_feature = np.array(
            [feature for leaf in leaves for feature in leaf.features], "int64"
        )
        tests_per_slot = [len(t) for leaf in leaves for t in leaf.tests]
        self._test_start = np.zeros(len(tests_per_slot) + 1, dtype="int64")
        self._test_start[1:] = np.cumsum(tests_per_slot)
        self._test_node = np.array(
            [node for leaf in leaves for t in leaf.tests for node, _ in t], "int64"
        )
        self._test_left = np.array(
            [left for leaf in leaves for t in leaf.tests for _, left in t], bool
        )
        self._table_start = np.zeros(n_leaves + 1, dtype="int64")
        self._table_start[1:] = np.cumsum(
            [(1 << len(leaf.features)) * len(leaf.features) for leaf in leaves]
        )
        self._tables = (
            np.concatenate([_weight_table(leaf).ravel() for leaf in leaves])
            if leaves
            else np.zeros(0)
        )

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """(rows, features) exact TreeSHAP values of ``matrix`` (NaN missing)."""
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[1] != self.n_features:
            raise ValueError(
                f"expected a matrix of {self.n_features} features; got shape "
                f"{matrix.shape}"
            )
        # Threads pay off only on many rows: starting them costs more than a few.
        kernel = _sum_leaf_values if len(matrix) >= _THREADED_ROWS else _serial_sum
        return kernel(
            # XGBoost compares float32 values with float32 thresholds.
            np.ascontiguousarray(matrix, dtype="float32"),
            self._node_feature,
            self._node_threshold,
            self._node_default_left,
            self._slot_start,
            self._slot_feature,
            self._test_start,
            self._test_node,
            self._test_left,
            self._table_start,
            self._tables,
        )


_THREADED_ROWS = 64

_compiled = numba.njit(cache=True, nogil=True)


@_compiled
def _row_sums(  # noqa: PLR0917 (a compiled kernel takes flat arrays)
    matrix: np.ndarray,
    row: int,
    node_feature: np.ndarray,
    node_threshold: np.ndarray,
    node_default_left: np.ndarray,
    slot_start: np.ndarray,
    slot_feature: np.ndarray,
    test_start: np.ndarray,
    test_node: np.ndarray,
    test_left: np.ndarray,
    table_start: np.ndarray,
    tables: np.ndarray,
    result: np.ndarray,
) -> None:
    """Adds each leaf's tabulated values for ``matrix[row]`` into ``result[row]``."""
    n_nodes = len(node_feature)
    goes_left = np.empty(n_nodes, dtype=np.bool_)
    for node in range(n_nodes):
        value = matrix[row, node_feature[node]]
        if np.isnan(value):
            goes_left[node] = node_default_left[node]
        else:
            goes_left[node] = value < node_threshold[node]
    for leaf in range(len(slot_start) - 1):
        first, last = slot_start[leaf], slot_start[leaf + 1]
        depth = last - first
        mask = 0
        for slot in range(first, last):
            met = True
            for test in range(test_start[slot], test_start[slot + 1]):
                if goes_left[test_node[test]] != test_left[test]:
                    met = False
                    break
            if met:
                mask |= 1 << (slot - first)
        cell = table_start[leaf] + mask * depth
        for k in range(depth):
            result[row, slot_feature[first + k]] += tables[cell + k]


@_compiled
def _serial_sum(matrix: np.ndarray, *tables: np.ndarray) -> np.ndarray:
    result = np.zeros(matrix.shape)
    for row in range(matrix.shape[0]):
        _row_sums(matrix, row, *tables, result)
    return result


@numba.njit(parallel=True, cache=True, nogil=True)
def _sum_leaf_values(matrix: np.ndarray, *tables: np.ndarray) -> np.ndarray:
    result = np.zeros(matrix.shape)
    for row in numba.prange(matrix.shape[0]):
        _row_sums(matrix, row, *tables, result)
    return result
