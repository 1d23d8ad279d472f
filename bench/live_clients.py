"""The load generator of bench/live.py, in its own process: opens the sockets, then records
when each `task.updated` reaches each socket. Reads its plan (JSON) from a file, prints
`connected` once every socket is signed in, and on `stop` on stdin prints its figures."""

import asyncio
import json
import sys
import time
from datetime import datetime
from typing import Any

import orjson
import websockets

BATCH = 100


async def open_socket(url: str, token: str, room: str | None, box: dict[str, Any]) -> None:
    socket = await websockets.connect(url, ping_interval=None, max_size=2**20, compression=None)
    await socket.send(orjson.dumps({"type": "auth", "token": token}).decode())
    if room is not None:
        await socket.send(orjson.dumps({"type": "subscribe", "rooms": [room]}).decode())
    while orjson.loads(await socket.recv())["type"] != ("subscribed" if room else "ready"):
        pass
    box["sockets"].append(socket)


async def read(socket: Any, box: dict[str, Any]) -> None:
    latencies, arrivals = box["latencies"], box["arrivals"]
    try:
        async for raw in socket:
            now = time.time()
            message = orjson.loads(raw)
            if message.get("type") != "event" or message["event"]["type"] != "task.updated":
                continue
            event = message["event"]
            at = datetime.fromisoformat(event["occurred_at"]).timestamp()
            latencies.setdefault(event["id"], []).append((now - at) * 1000)
            arrivals.append(now)
    except websockets.ConnectionClosed as closed:
        box["closed"].append(closed.rcvd.code if closed.rcvd else None)


async def main(plan: dict[str, Any]) -> None:
    box: dict[str, Any] = {"sockets": [], "latencies": {}, "arrivals": [], "closed": []}
    sockets = plan["sockets"]
    for start in range(0, len(sockets), BATCH):
        await asyncio.gather(
            *(
                open_socket(plan["url"], s["token"], s.get("room"), box)
                for s in sockets[start : start + BATCH]
            )
        )
    readers = [asyncio.create_task(read(s, box)) for s in box["sockets"]]
    print("connected", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    print(
        json.dumps(
            {"latencies": box["latencies"], "arrivals": box["arrivals"], "closed": box["closed"]}
        ),
        flush=True,
    )
    for task in readers:
        task.cancel()


if __name__ == "__main__":
    from pathlib import Path

    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
