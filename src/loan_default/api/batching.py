"""Scoring of concurrent requests in one vectorised call.

Most of the cost of scoring a few applications is fixed (one pass of pandas over
every column), so requests that arrive while a batch is being scored wait and are
scored together in the next call. A small batch is scored on the event loop itself:
it takes a few milliseconds, and handing it to a thread and back (and sharing the
interpreter lock with it) cost more than that. A large one runs in a worker thread,
which leaves the event loop free to answer meanwhile. Rows are
scored independently, so a batch gives each application the same result as scoring
it alone; requests sharing an applicant key are never put in the same batch.

One request must never fail another: when scoring a batch raises, each of its
requests is scored alone, so that only the request that causes the error receives
it and every other gets the answer it would have had alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loan_default.schema import APPLICATION_ID

Records = Sequence[Mapping[str, Any]]


class MicroBatcher:
    """Queues requests and scores whatever has queued up, up to ``max_rows``;
    batches of at most ``inline_rows`` on the event loop, larger ones in a thread."""

    def __init__(
        self,
        score: Callable[[Records], list[dict]],
        max_rows: int,
        inline_rows: int,
    ) -> None:
        self._score = score
        self._max_rows = max_rows
        self._inline_rows = inline_rows
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="scoring")
        self._held_back: list[tuple[Records, asyncio.Future]] = []

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def score(self, records: Records) -> list[dict]:
        if self._queue is None:
            raise RuntimeError("the batcher is not started")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((records, future))
        return await future

    def _next_batch(self, first: tuple) -> list[tuple[Records, asyncio.Future]]:
        batch = [first]
        keys = {record[APPLICATION_ID] for record in first[0]}
        rows = len(first[0])
        candidates = self._held_back
        self._held_back = []
        while not self._queue.empty():
            candidates.append(self._queue.get_nowait())
        for item in candidates:
            item_keys = {record[APPLICATION_ID] for record in item[0]}
            if rows + len(item[0]) > self._max_rows or keys & item_keys:
                self._held_back.append(item)
                continue
            batch.append(item)
            keys |= item_keys
            rows += len(item[0])
        return batch

    async def _run(self) -> None:
        while True:
            if self._held_back:
                first = self._held_back.pop(0)
            else:
                first = await self._queue.get()
                # Let the requests already read reach the queue: one batch for all.
                await asyncio.sleep(0)
            batch = self._next_batch(first)
            records = [record for items, _ in batch for record in items]
            try:
                results = await self._score_rows(records)
            except Exception as error:  # noqa: BLE001 - confined below
                if len(batch) == 1:
                    _settle(batch[0][1], error=error)
                else:
                    await self._score_alone(batch)
                continue
            start = 0
            for items, future in batch:
                _settle(future, results[start : start + len(items)])
                start += len(items)

    async def _score_rows(self, records: Records) -> list[dict]:
        if len(records) <= self._inline_rows:
            return self._score(records)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._score, records)

    async def _score_alone(self, batch: list[tuple[Records, asyncio.Future]]) -> None:
        """Each request of a failed batch on its own: the error reaches only the
        requests that raise it."""
        for items, future in batch:
            if future.done():  # the client has gone away
                continue
            try:
                results = await self._score_rows(items)
            except Exception as error:  # noqa: BLE001 - this request's own error
                _settle(future, error=error)
            else:
                _settle(future, results)


def _settle(
    future: asyncio.Future,
    results: list[dict] | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():  # the client may have gone away
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(results)
