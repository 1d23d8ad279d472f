"""What every operation's OpenAPI entry says it can answer (filled in below)."""

from fastapi import FastAPI


def document_responses(app: FastAPI) -> None:
    """Declares the problem+json answers of every route, once, for the whole kit."""
