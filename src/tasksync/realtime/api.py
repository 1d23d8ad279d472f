from fastapi import APIRouter
from starlette.websockets import WebSocket

from tasksync.realtime.session import Session

router = APIRouter(tags=["live"])


async def live(websocket: WebSocket) -> None:
    """Every event of your rooms, pushed as it happens (protocol: docs/realtime.md)."""
    await Session(websocket, websocket.app.state.runtime).run()


# Starlette's plain WebSocket route: FastAPI's would keep three exit stacks and its
# dependency state alive for as long as each socket is open, and there is nothing to inject.
router.add_websocket_route("/api/v1/live", live)
