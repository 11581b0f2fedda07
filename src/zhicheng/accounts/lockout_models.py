"""Failed logins counted by the name tried, for names no account has (staff and portal): lock-out alike for all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.db import Base


class LoginFailure(Base):
    """The failures of one unknown login name in one realm (`staff` or `open`), and its lock-out."""

    __tablename__ = "login_failure"

    realm: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(150), primary_key=True)  # as typed, trimmed, lower-cased
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
