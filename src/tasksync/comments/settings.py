from tasksync.common.settings import ServiceSettings


class CommentsSettings(ServiceSettings):
    """The shared settings, and the limit on writing comments."""

    # Comments one person may write in a window: a burst, then 429 until the window ends.
    comments_per_user: int = 30
    comment_window_seconds: int = 60
