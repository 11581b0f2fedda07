"""What a scenario plugin's `zhicheng_demo_data(context)` hook receives: the session, the demo city, its people."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.core.actor import Actor
from zhicheng.core.settings import Settings


@dataclass
class DemoContext:
    """The demo city as loaded so far, for plugins adding their own demo data through the services.

    `departments` is keyed by "city", a bureau key ("data", "police", "eco", …) or a region code (districts:
    6 digits, street offices: 9 digits); `users` by username. The hook runs inside the first load and again
    if an interrupted load resumes, so a plugin should skip what it already created.
    """

    db: Session
    settings: Settings
    departments: dict[str, Any]
    users: dict[str, Any]
    resource_ids: dict[str, int]  # resource template keys (resources.json's and the plugins') → catalog ids
    counts: dict[str, int] = field(default_factory=dict)  # plugins may add what they loaded

    def actor(self, username: str) -> Actor:
        """The Actor of a demo user (e.g. "eco_officer"), acting from the command line."""
        return accounts.actor_for(self.users[username], via="cli")

    def import_csv(self, username: str, resource_id: int, path: Path):
        """Import a CSV file as the next version of a resource's data, as that user; the ImportReport."""
        from zhicheng.catalog.datasets import service as datasets

        return datasets.import_file(self.db, actor=self.actor(username), resource_id=resource_id, path=path,
                                    filename=path.name)
