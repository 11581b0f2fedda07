"""Request bodies of the portal's JSON API (/api/v1/open/...); services check the values themselves."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ID = Field(ge=1, le=2_147_483_647)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    kind: str = Field(description="citizen 个人 / enterprise 企业", examples=["citizen"], max_length=16)
    username: str = Field(max_length=40, examples=["zhangsan"])
    password: str = Field(max_length=128)
    display_name: str = Field(max_length=100, description="姓名或企业名称 / name or company name")
    id_number: str = Field(max_length=32, description="公民身份号码 (GB 11643) 或统一社会信用代码 (GB 32100)")
    phone: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)


class LoginIn(_In):
    username: str = Field(max_length=64)
    password: str = Field(max_length=128)


class ApplicationIn(_In):
    resource_id: int = ID
    purpose: str = Field(max_length=4000, description="用途 / purpose (10–2000 characters)")


class DecisionIn(_In):
    decision: str = Field(description="approve | refuse", max_length=16)
    reason: str | None = Field(None, max_length=4000)


class KeyIn(_In):
    name: str = Field(max_length=200)
    expires_days: int | None = Field(365, ge=1, le=3650)


class CommentIn(_In):
    resource_id: int = ID
    body: str = Field(max_length=4000)


class ModerationIn(_In):
    decision: str = Field(description="approve | reject", max_length=16)


class RatingIn(_In):
    resource_id: int = ID
    stars: int = Field(ge=1, le=5)


class DataRequestIn(_In):
    title: str = Field(max_length=400)
    description: str = Field(max_length=4000)
    department_id: int | None = Field(None, ge=1, le=2_147_483_647)


class AnswerIn(_In):
    answer: str = Field(max_length=4000)
    state: str = Field("answered", description="answered | declined", max_length=16)


class AppIn(_In):
    name: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    url: str = Field(max_length=1000)
    resource_ids: list[int] = Field(default_factory=list, max_length=20)


class ReviewIn(_In):
    decision: str = Field(description="show | reject", max_length=16)
    note: str | None = Field(None, max_length=2000)


class LimitIn(_In):
    rate_per_minute: int | None = Field(None, ge=1, le=100_000)
