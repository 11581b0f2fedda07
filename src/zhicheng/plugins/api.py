"""GET /api/v1/plugins: the installed plugins and what each contributes per hook."""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.plugins import service
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/plugins", tags=["system"])


@router.get("", summary="已安装的插件 / installed plugins and their contributions")
def plugins(actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """Every plugin (built-in first, then those installed under the entry-point group `zhicheng`) with what it
    gives to each hook, and which domain consumes each hook."""
    found = service.describe()
    return {"total": len(found), "plugins": found, "hooks": service.CONSUMERS}
