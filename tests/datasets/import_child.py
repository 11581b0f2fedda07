"""One import run in a process of its own, for the bomb tests: prints its outcome and peak memory as JSON.

python -m tests.datasets.import_child DATABASE_URL USER_ID RESOURCE_ID PATH FILENAME
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

GUARD = 4 << 30  # address space: a regression fails here with MemoryError instead of taking the machine down


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the parent's peak over the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    url, user_id, resource_id, path, filename = sys.argv[1:6]
    resource.setrlimit(resource.RLIMIT_AS, (GUARD, GUARD))
    from zhicheng.accounts import service as accounts
    from zhicheng.accounts.models import User
    from zhicheng.catalog.datasets import service
    from zhicheng.core.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        actor = accounts.actor_for(db.get(User, int(user_id)))
        try:
            report = service.import_file(db, actor=actor, resource_id=int(resource_id), path=Path(path),
                                         filename=filename)
            out = {"ok": report.ok, "zh": report.message_zh, "en": report.message_en}
        except MemoryError:
            out = {"ok": False, "zh": "MemoryError", "en": "MemoryError"}
    engine.dispose()
    out["peak_mb"] = peak_mb()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
