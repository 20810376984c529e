"""StreamingNode: a multi-output generator node that holds one chunk at a time."""

from __future__ import annotations

import weakref
from typing import Any

import pytest
from kedro.io import AbstractDataset, DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner, ThreadRunner

from loan_default.streaming import StreamingNode

CHUNKS = 80  # more than the 57 items of one of itertools.tee's blocks


class Payload:
    """A stand-in for one chunk's table, which a weak reference can watch."""

    def __init__(self, chunk: int, output: str) -> None:
        self.chunk = chunk
        self.output = output


class AliveCounter(AbstractDataset):
    """Records, at each save, how many yielded payloads are still alive (they hold
    no reference cycle, so reference counting frees them at once), and what it was
    given; keeps no payload itself."""

    def __init__(self, watched: list[weakref.ref]) -> None:
        self._watched = watched
        self.alive_at_save: list[int] = []
        self.received: list[tuple[int, str]] = []

    def _save(self, data: Payload) -> None:
        self.received.append((data.chunk, data.output))
        self.alive_at_save.append(sum(ref() is not None for ref in self._watched))

    def _load(self) -> Any:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {}


def chunks_of_two_outputs(watched: list[weakref.ref]):
    def generate(count: int):
        for chunk in range(count):
            first, second = Payload(chunk, "first"), Payload(chunk, "second")
            watched.extend([weakref.ref(first), weakref.ref(second)])
            yield first, second

    return generate


def run(node_class: type[Node], runner=SequentialRunner) -> dict[str, AliveCounter]:
    watched: list[weakref.ref] = []
    datasets = {name: AliveCounter(watched) for name in ("first", "second")}
    catalog = DataCatalog(datasets=datasets)
    catalog["count"] = CHUNKS
    node = node_class(
        chunks_of_two_outputs(watched), "count", ["first", "second"], name="chunks"
    )
    runner().run(Pipeline([node], tags=["streamed"]), catalog)
    return datasets


@pytest.mark.parametrize("runner", [SequentialRunner, ThreadRunner])
def test_each_value_reaches_its_dataset_in_order(runner):
    datasets = run(StreamingNode, runner)

    assert datasets["first"].received == [(c, "first") for c in range(CHUNKS)]
    assert datasets["second"].received == [(c, "second") for c in range(CHUNKS)]


def test_no_more_than_the_chunk_being_saved_is_alive():
    datasets = run(StreamingNode)

    assert max(datasets["first"].alive_at_save) <= 2
    assert max(datasets["second"].alive_at_save) <= 2


def test_kedro_node_keeps_earlier_chunks_alive():
    """The reason for StreamingNode: if this stops failing to free chunks, a later
    Kedro has fixed it and the class can go."""
    datasets = run(Node)

    assert max(datasets["second"].alive_at_save) > 50


def test_copies_made_by_tags_and_namespaces_stay_streaming():
    node = StreamingNode(lambda: iter(()), None, ["a", "b"], name="chunks")

    tagged = Pipeline([node], tags=["scoring"]).nodes[0]
    namespaced = Pipeline([node], namespace="spark").nodes[0]

    assert type(tagged) is StreamingNode
    assert type(namespaced) is StreamingNode
    assert namespaced.outputs == ["spark.a", "spark.b"]


def test_a_chunk_of_the_wrong_width_names_the_node():
    def wrong_width():
        yield 1, 2, 3

    outputs = StreamingNode(wrong_width, None, ["a", "b"], name="chunks").run({})

    with pytest.raises(
        ValueError, match=r"chunks.*declares 2 outputs.*tuple of length 3"
    ):
        next(outputs["a"])


def test_outputs_taken_out_of_turn_are_refused():
    def pairs():
        yield 1, 2

    outputs = StreamingNode(pairs, None, ["a", "b"], name="chunks").run({})

    with pytest.raises(RuntimeError, match="output 1 was asked for while output 0"):
        next(outputs["b"])


def test_a_single_output_generator_is_kedros_own_stream():
    def numbers():
        yield from range(3)

    outputs = StreamingNode(numbers, None, "n", name="numbers").run({})

    assert list(outputs["n"]) == [0, 1, 2]
