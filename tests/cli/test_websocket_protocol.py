"""The lighter stand-ins for the asyncio.Queue and asyncio.Event of uvicorn's WebSocket
protocol: a message put while the reader waits wakes it, in order; a write on a writable
socket goes out without suspending (live updates write in the fan-out's own pass), and one
that waits for the socket goes on once it drains."""

import asyncio

import pytest

from tasksync.cli.websocket_protocol import Flag, Inbox


async def test_the_inbox_hands_over_messages_in_order_and_wakes_its_reader() -> None:
    inbox = Inbox()
    inbox.put_nowait("first")
    assert await inbox.get() == "first"
    assert inbox.empty()
    reading = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reading.done()
    inbox.put_nowait("second")
    inbox.put_nowait("third")
    assert await reading == "second"
    assert await inbox.get() == "third"


async def test_waiting_on_a_set_flag_does_not_suspend() -> None:
    with pytest.raises(StopIteration) as done:  # finished at the first step
        Flag().wait().send(None)
    assert done.value.value is True


async def test_every_writer_waiting_for_a_drain_goes_on_when_it_drains() -> None:
    flag = Flag()
    flag.clear()
    writers = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(writer.done() for writer in writers)
    flag.set()
    assert await asyncio.gather(*writers) == [True, True, True]
    assert flag.is_set()
