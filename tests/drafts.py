"""A draft's data as the canonical model a test expects (``Draft.data`` is any model)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from adapters.base import Draft

__all__ = ["data_as"]

M = TypeVar("M", bound=BaseModel)


def data_as(draft: Draft, model: type[M]) -> M:
    assert isinstance(draft.data, model), draft.data
    return draft.data
