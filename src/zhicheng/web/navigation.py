"""The app shell's navigation as data: groups of entries that each domain registers, filtered by role."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from zhicheng.core.actor import Actor

# the shell's groups, in the order the bar shows them; (key, Chinese label, order among top-level entries)
GROUPS: tuple[tuple[str, str, int], ...] = (
    ("data", "数据中心", 10),
    ("map", "一张图", 20),
    ("iot", "物联感知", 30),
    ("governance", "城市治理", 40),
    ("operations", "运行中心", 50),
    ("system", "系统管理", 60),
)
GROUP_KEYS = frozenset(key for key, _label, _order in GROUPS)


@dataclass(frozen=True)
class NavItem:
    label: str  # Chinese source string, translated in the template
    href: str
    group: str | None = None  # a key of GROUPS, or None for a link on the bar itself
    roles: tuple[str, ...] = ()  # empty: every logged-in user
    public: bool = False  # shown to anonymous visitors too
    match: str = ""  # path prefix that marks the entry current; href when empty
    order: int = 100  # place within its group (or on the bar: groups sit at 10, 20, … 60)

    def is_current(self, path: str) -> bool:
        prefix = self.match or self.href
        if prefix == "/":
            return path == "/"
        return path == prefix or path.startswith(prefix.rstrip("/") + "/")

    def visible_to(self, actor: Actor | None) -> bool:
        if not (actor and actor.is_authenticated) and not self.public:
            return False
        return not self.roles or bool(actor and actor.has(*self.roles))


@dataclass
class Navigation:
    """The entries every domain registered; `register_nav` is the one way in."""

    items: list[NavItem] = field(default_factory=list)

    def register_nav(self, group: str | None, label: str, href: str, *, roles: Iterable[str] = (),
                     order: int = 100, public: bool = False, match: str = "") -> NavItem:
        """Add an entry to `group` (a key of GROUPS; None: on the bar itself). The same href again replaces it."""
        if group is not None and group not in GROUP_KEYS:
            raise ValueError(f"unknown navigation group {group!r} (one of {sorted(GROUP_KEYS)})")
        item = NavItem(label, href, group, tuple(str(r) for r in roles), public, match, order)
        self.items = [i for i in self.items if i.href != href] + [item]
        return item

    def collect(self, modules: Iterable[ModuleType | None]) -> Navigation:
        """Let every module with a `nav_entries(nav)` function register its entries (as create_app does)."""
        for mod in modules:
            if mod is not None and hasattr(mod, "nav_entries"):
                mod.nav_entries(self)
        return self

    def visible(self, actor: Actor | None, path: str) -> list[dict[str, Any]]:
        """The bar for this actor: links and groups (only those with an entry the actor may use), in order.

        Each link is {"label", "href", "current"}; a group adds "key" and "entries" (links) and is current when
        one of its entries is. Only the most specific matching entry is current (/catalog/new, not /catalog)."""
        shown = [i for i in self.items if i.visible_to(actor)]
        links = {id(i): {"label": i.label, "href": i.href, "current": i.is_current(path)} for i in shown}
        current = [e for e in links.values() if e["current"]]
        if len(current) > 1:
            best = max(current, key=lambda e: len(e["href"]))
            for e in current:
                e["current"] = e is best
        bar: list[tuple[int, int, dict[str, Any]]] = []
        for n, item in enumerate(sorted((i for i in shown if i.group is None), key=lambda i: i.order)):
            bar.append((item.order, n, links[id(item)]))
        for n, (key, label, order) in enumerate(GROUPS):
            entries = [links[id(i)] for i in sorted((i for i in shown if i.group == key), key=lambda i: i.order)]
            if entries:  # a group without an entry for this actor (or any domain yet) is not shown
                bar.append((order, n, {"label": label, "key": key, "entries": entries,
                                       "current": any(e["current"] for e in entries)}))
        return [entry for _order, _n, entry in sorted(bar, key=lambda t: (t[0], t[1]))]


def collect_navigation(module_names: Iterable[str]) -> Navigation:
    """A Navigation from the named modules' `nav_entries` (modules that are not installed are skipped)."""
    mods = []
    for name in module_names:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not (exc.name and name.startswith(exc.name)):
                raise
    return Navigation().collect(mods)


def flat(bar: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every link of a bar from `Navigation.visible`, groups opened, in order."""
    return [e for entry in bar for e in (entry["entries"] if "entries" in entry else [entry])]
