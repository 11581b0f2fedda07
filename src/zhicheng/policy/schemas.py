"""API shapes of the policy domain: audit entries, pages of them, and the verdict on the chain."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditEntryOut(BaseModel):
    seq: int = Field(description="链上序号 / position in the chain")
    at: str = Field(description="时间（UTC, ISO 8601）/ time, UTC")
    at_local: str = Field(description="北京时间 / Beijing time")
    actor_kind: str
    actor_user_id: int | None
    actor_username: str | None
    actor_department_id: int | None
    actor_department_code: str | None
    action: str
    action_label: str = Field(description="操作的中文名称，如“授予角色 · 用户” / the action's Chinese name")
    target_kind: str
    target_id: str | None
    outcome: str
    detail: dict[str, Any] | None
    ip: str | None
    prev_hash: str
    hash: str


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_before: int | None = Field(description="下一页（更早）的游标 / cursor of the next, older page")


class VerifyOut(BaseModel):
    ok: bool
    entries: int = Field(description="校验过的条数 / entries checked")
    last_seq: int
    anchor_seq: int = Field(description="最近一次清理后的锚点 / last purged seq (0: none)")
    bad_seq: int | None
    bad_at: str | None
    problem: str | None = Field(description="altered | inserted | removed | checkpoint")
    head_hash: str | None = Field(description="完整时链头的 HMAC-SM3 哈希 / the last hash, when intact")
    checkpoint_seq: int | None = Field(None, description="比对过的最新签名检查点 / the newest signed checkpoint "
                                       "the chain was held against (None: none yet)")
    message: str
