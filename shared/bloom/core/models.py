"""Base classes for API and stored models: camelCase on the wire and in Firestore, snake_case in Python."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    # `defer_build`: a model's validator and serializer are built when it is first used, not when its module is
    # imported, so a function's cold start builds only the models its own route touches, not its module's others.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True)


class RequestModel(CamelModel):
    """A request body or query: unknown fields are ignored; limits (lengths, ranges) are declared per field."""
