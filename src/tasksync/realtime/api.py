from fastapi import APIRouter, WebSocket

from tasksync.realtime.session import Session

router = APIRouter(tags=["live"])


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    """Every event of your rooms, pushed as it happens (protocol: docs/realtime.md)."""
    await Session(websocket, websocket.app.state.runtime).run()
