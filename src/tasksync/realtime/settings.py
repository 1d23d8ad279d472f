from tasksync.common.settings import ServiceSettings


class RealtimeSettings(ServiceSettings):
    """The shared settings, and the limits of the live WebSocket endpoint."""

    # Seconds a new socket has to send its `auth` message.
    live_auth_timeout: float = 5.0
    # Open sockets one account may hold on one replica.
    live_connections_per_user: int = 20
    # Messages waiting to go out on one socket; a client that falls this far behind is
    # closed (4008) and resumes.
    live_send_queue: int = 1000
    # The largest message a client may send, and how many it may send per 10 seconds.
    live_max_message_bytes: int = 4096
    live_messages_per_10s: int = 100
    # What a room keeps for `resume`: its last N events, none older than the age.
    live_buffer_events: int = 1000
    live_buffer_seconds: int = 600
