"""Pagination: page/size parameters with limits, and the page envelope every list endpoint returns."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_PAGE_SIZE = 1000


class PageParams(BaseModel):
    page: int = 1
    size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_params(
    page: int = Query(1, ge=1, le=1_000_000, description="页码 / page number, from 1"),
    size: int = Query(20, ge=1, le=MAX_PAGE_SIZE, description="每页条数 / page size"),
) -> PageParams:
    return PageParams(page=page, size=size)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
