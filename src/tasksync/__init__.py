"""TaskSync: a self-hostable task manager built as Python microservices."""

__version__ = "0.1.0"
