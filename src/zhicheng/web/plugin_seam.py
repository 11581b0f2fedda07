"""What create_app takes from the plugins: their routers (zhicheng_routers) and menu entries (zhicheng_nav_entries)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI

from zhicheng.hookspecs import by_plugin, installed
from zhicheng.web.navigation import Navigation

log = logging.getLogger("zhicheng")


def mount(app: FastAPI, nav: Navigation, plugins=None) -> None:
    """Include every plugin's routers after the domains' and let each register its navigation entries."""
    pm = plugins if plugins is not None else installed()
    app.state.plugins = pm
    for name, routers in by_plugin(pm.hook.zhicheng_routers):
        for router in routers or ():
            if not isinstance(router, APIRouter):
                raise TypeError(f"plugin {name}: zhicheng_routers must give fastapi.APIRouter objects, not {router!r}")
            app.include_router(router)
            log.debug("plugin %s: %d routes mounted", name, len(router.routes))
    pm.hook.zhicheng_nav_entries(nav=nav)
