"""The site navigation as data: each entry's label, link and the roles that see it."""

from __future__ import annotations

from dataclasses import dataclass

from zhicheng.accounts.roles import Role
from zhicheng.core.actor import Actor


@dataclass(frozen=True)
class NavItem:
    label: str  # Chinese source string, translated in the template
    href: str
    roles: tuple[str, ...] = ()  # empty: every logged-in user
    public: bool = False  # shown to anonymous visitors too
    match: str = ""  # path prefix that marks the entry current; href when empty

    def is_current(self, path: str) -> bool:
        prefix = self.match or self.href
        if prefix == "/":
            return path == "/"
        return path == prefix or path.startswith(prefix.rstrip("/") + "/")


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("首页", "/", public=True),
    NavItem("开放数据", "/open", public=True),
    NavItem("数据目录", "/catalog"),
    NavItem("登记资源", "/catalog/new", roles=(Role.ADMIN, Role.DATA_OFFICER)),
    NavItem("审核", "/catalog/review", roles=(Role.ADMIN,)),
    NavItem("我的申请", "/exchange/requests"),
    NavItem("待审批", "/exchange/inbox", roles=(Role.ADMIN, Role.DATA_OFFICER)),
    NavItem("授权", "/exchange/grants"),
    NavItem("共享指标", "/exchange/kpis", roles=(Role.ADMIN, Role.LEADER)),
    NavItem("脱敏规则", "/exchange/masking-rules", roles=(Role.ADMIN,)),
    NavItem("数据质量", "/quality", roles=(Role.ADMIN, Role.DATA_OFFICER)),
    NavItem("基础库", "/basedb", roles=(Role.ADMIN, Role.LEADER)),
    NavItem("数据血缘", "/lineage", roles=(Role.ADMIN, Role.DATA_OFFICER)),
    NavItem("部门与用户", "/admin/departments", roles=(Role.ADMIN,), match="/admin"),
    NavItem("审计", "/audit", roles=(Role.AUDITOR,)),
    NavItem("关于", "/about", public=True),
)


def visible_nav(actor: Actor | None, path: str) -> list[dict]:
    """The entries this actor may see, each with `current` set for the page being shown."""
    authenticated = bool(actor and actor.is_authenticated)
    out = []
    for item in MAIN_NAV:
        if not authenticated and not item.public:
            continue
        if item.roles and not (actor and actor.has(*item.roles)):
            continue
        out.append({"label": item.label, "href": item.href, "current": item.is_current(path)})
    # only the most specific match is current (/catalog/new is not also /catalog)
    current = [e for e in out if e["current"]]
    if len(current) > 1:
        best = max(current, key=lambda e: len(e["href"]))
        for e in current:
            e["current"] = e is best
    return out
