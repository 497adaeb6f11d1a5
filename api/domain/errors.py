"""What the domain and the query layer refuse, with no HTTP in it: api/http/errors.py
answers each one as problem+json (``NotFound`` 404, ``Gone`` 410, ``Invalid`` 400/422)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the data cannot answer; ``str(error)`` says why, for people."""


class NotFound(DomainError):
    """No such record (ever)."""


class Gone(DomainError):
    """The record existed and was deleted."""


class Invalid(DomainError):
    """Invalid arguments: messages by location (``query``, ``json``...) then by field,
    as webargs reports them."""

    def __init__(self, messages: dict[str, Any]) -> None:
        super().__init__(str(messages))
        self.messages = messages
