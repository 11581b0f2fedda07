"""The masking rules table (脱敏规则) the platform admin edits, one row per kind of field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class MaskingRule(Base):
    """How one kind of field (citizen_id, mobile, name, …) is masked: its parameters, who set them and when."""

    __tablename__ = "exchange_masking_rule"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    updated_by_name: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=now)
