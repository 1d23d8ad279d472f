"""What every service's request models share."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class Input(BaseModel):
    """A request body: unknown fields are refused (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NotBlank = AfterValidator(_not_blank)
NotBlankStr = Annotated[str, NotBlank]
