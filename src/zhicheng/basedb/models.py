"""Tables of the base databases: assemblies, their runs, the provenance of every record, conflicts and tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class Assembly(Base):
    """A base database's assembly: its template, one authoritative source per field (一数一源) with fallbacks,
    and the catalog resource the assembled records are published as."""

    __tablename__ = "basedb_assembly"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(
        Integer, index=True
    )  # the owner (accounts; no FK across domains)
    resource_id: Mapped[int] = mapped_column(Integer, unique=True)  # the assembled catalog resource
    threshold: Mapped[float] = mapped_column(Float, default=0.85)  # entity resolution score to accept a match
    # [{"field", "sources": [{"resource_id", "item"}, ...]}]: the first source is authoritative, then fallbacks
    definition: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class AssemblyRun(Base):
    """One run of an assembly: the source versions it read, the version it produced, its match statistics."""

    __tablename__ = "basedb_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("basedb_assembly.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running | succeeded | failed
    version: Mapped[int | None] = mapped_column(Integer)  # the dataset version of the assembled resource
    # [{"resource_id", "version", "name", "department_id"}]: index i is the "i" of provenance
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    conflict_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class Provenance(Base):
    """Where one assembled record came from: per field the index of the source whose value won
    (`fields`, one character per template field, "-" for none) and per source the row read (`rows`)."""

    __tablename__ = "basedb_provenance"
    __table_args__ = (Index("ix_basedb_provenance_run_key", "run_id", "key"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("basedb_run.id", ondelete="CASCADE"), primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)  # the `_row` of the assembled version
    key: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(
        String(8)
    )  # key | er (a key-less row joined by entity resolution) | none
    score: Mapped[float | None] = mapped_column(Float)
    fields: Mapped[str] = mapped_column(String(64))
    rows: Mapped[str] = mapped_column(String(200))  # comma separated source rows ("" where a source has none)


class ConflictTask(Base):
    """Conflicts of one run sent to the department owning a disagreeing source, with a working-day deadline."""

    __tablename__ = "basedb_conflict_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("basedb_run.id", ondelete="CASCADE"), index=True)
    assembly_id: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    resource_id: Mapped[int] = mapped_column(Integer)  # the disagreeing source
    conflict_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | resolved | superseded
    due_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[int | None] = mapped_column(Integer)


class Conflict(Base):
    """Two sources disagree on a field of one record: the value kept (authoritative first) and the other."""

    __tablename__ = "basedb_conflict"
    __table_args__ = (
        UniqueConstraint("run_id", "row", "field", "other_index", name="uq_basedb_conflict_run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("basedb_run.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("basedb_conflict_task.id", ondelete="SET NULL"), index=True
    )
    row: Mapped[int] = mapped_column(Integer)  # the assembled record
    key: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(63))
    value: Mapped[str | None] = mapped_column(Text)  # the value kept
    kept_index: Mapped[int] = mapped_column(Integer)  # source index (run.sources) of the kept value
    kept_row: Mapped[int] = mapped_column(Integer)
    other_value: Mapped[str | None] = mapped_column(Text)
    other_index: Mapped[int] = mapped_column(Integer)
    other_row: Mapped[int] = mapped_column(Integer)
    other_resource_id: Mapped[int] = mapped_column(Integer)
