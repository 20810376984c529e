"""A Kedro node for generator functions with several outputs that keeps one chunk in
memory, where Kedro's own ``Node`` keeps dozens.

Kedro splits the tuples a multi-output generator yields into one stream per output
with ``more_itertools.unzip``, that is ``itertools.tee``, which stores the items in
linked blocks of 57 and frees a block only once every stream has passed all of it.
Each chunk's outputs therefore stay referenced until 56 more chunks have been saved:
for a batch of 40 chunks, the whole batch. The runner saves a generator node's
outputs in turn (the first output of a chunk, its second, ..., then the next
chunk's first), so the streams can share one tuple and let go of each value as it
is handed to its dataset.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from kedro.pipeline import Node


class StreamingNode(Node):
    """A ``Node`` whose generator function's outputs are handed to their datasets
    one chunk at a time, holding no more than the chunk being saved."""

    def _outputs_to_dictionary(self, outputs: Any) -> dict[str, Any]:
        names = self._outputs
        if not (inspect.isgenerator(outputs) and isinstance(names, list | tuple)):
            return super()._outputs_to_dictionary(outputs)
        turns = _Turns(outputs, len(names), str(self))
        return {
            name: _OutputStream(turns, position) for position, name in enumerate(names)
        }

    def _copy(self, **overwrite_params: Any) -> Node:
        # Kedro's copies (tags, namespaces) are plain Nodes; this class adds no state,
        # so the copy keeps the class.
        copied = super()._copy(**overwrite_params)
        copied.__class__ = type(self)
        return copied


class _Turns:
    """The tuple being handed out, one value per output, in the outputs' order."""

    def __init__(self, source: Iterator[Any], width: int, node: str) -> None:
        self._source = source
        self._width = width
        self._node = node
        self._held: list[Any] = []
        self._turn = 0

    def take(self, position: int) -> Any:
        if position != self._turn:
            raise RuntimeError(
                f"{self._node}: output {position} was asked for while output "
                f"{self._turn} of the same chunk had not been taken; the outputs "
                "of a streaming node must be consumed in turn"
            )
        if position == 0:
            item = next(self._source)  # StopIteration ends every stream
            if not isinstance(item, list | tuple) or len(item) != self._width:
                raise ValueError(
                    f"Failed to save outputs of node {self._node}: it declares "
                    f"{self._width} outputs but yielded {type(item).__name__} "
                    f"{_length(item)}"
                )
            self._held = list(item)
        value, self._held[position] = self._held[position], None
        self._turn = (position + 1) % self._width
        return value


class _OutputStream:
    """One output's stream of values; a plain iterator, so that no suspended frame
    keeps the last value alive."""

    def __init__(self, turns: _Turns, position: int) -> None:
        self._turns = turns
        self._position = position

    def __iter__(self) -> _OutputStream:
        return self

    def __next__(self) -> Any:
        return self._turns.take(self._position)


def _length(item: Any) -> str:
    return f"of length {len(item)}" if isinstance(item, list | tuple) else ""
