"""The application factory: one FastAPI app with every domain's API router and pages."""

from __future__ import annotations

import importlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from zhicheng import __version__
from zhicheng.core.checkpoints import Checkpointer
from zhicheng.core.db import make_engine, make_sessionmaker
from zhicheng.core.settings import Settings, get_settings
from zhicheng.policy.anchor import attach as attach_audit_anchor
from zhicheng.web import client_ip, cors, errors, plugin_seam
from zhicheng.web.fastlane import LaneApp, LaneWorkers
from zhicheng.web.navigation import Navigation
from zhicheng.web.security_headers import SecurityHeaders
from zhicheng.web.templating import static_dir

log = logging.getLogger("zhicheng")

# (module, attribute) pairs: each domain's API router and page router. Order matters only for pages.
ROUTERS = [
    "zhicheng.accounts.api",
    "zhicheng.policy.api",
    "zhicheng.web.ids_api",
    "zhicheng.catalog.api",
    "zhicheng.catalog.datasets.api",
    "zhicheng.exchange.api",
    "zhicheng.exchange.subscriptions.api",
    "zhicheng.exchange.delivery.api",
    "zhicheng.exchange.masking_rules.api",
    "zhicheng.holidays.api",
    "zhicheng.opendata.ckan.api",
    "zhicheng.opendata.dcat.api",
    "zhicheng.opendata.rest.api",
    "zhicheng.opendata.api",
    "zhicheng.quality.api",
    "zhicheng.basedb.api",
    "zhicheng.lineage.api",
    "zhicheng.plugins.api",
    "zhicheng.geo.crs.api",
    "zhicheng.geo.layers.features_api",
    "zhicheng.geo.layers.api",
    "zhicheng.geo.tiles.api",
    "zhicheng.geo.addresses.api",
    "zhicheng.geo.grids.api",
    "zhicheng.geo.components.api",
    "zhicheng.geo.changes.api",
    "zhicheng.geo.stats.api",
    "zhicheng.iot.api",
    "zhicheng.iot.alarms_api",
    "zhicheng.iot.history_api",
    "zhicheng.iot.sensorthings.api",
    "zhicheng.accounts.pages",
    "zhicheng.policy.pages",
    "zhicheng.catalog.pages",
    "zhicheng.catalog.datasets.pages",
    "zhicheng.exchange.pages",
    "zhicheng.exchange.subscriptions.pages",
    "zhicheng.exchange.masking_rules.pages",
    "zhicheng.holidays.pages",
    "zhicheng.opendata.pages",
    "zhicheng.quality.pages",
    "zhicheng.basedb.pages",
    "zhicheng.lineage.pages",
    "zhicheng.geo.layers.pages",
    "zhicheng.geo.map_pages",
    "zhicheng.geo.addresses.pages",
    "zhicheng.geo.grids.pages",
    "zhicheng.geo.components.pages",
    "zhicheng.geo.stats.pages",
    "zhicheng.iot.pages",
    "zhicheng.iot.alarm_pages",
    "zhicheng.web.apidocs",
    "zhicheng.web.pages",
]
# each install() wraps what came before: the body limits run inside the actor middleware (they need the actor)
MIDDLEWARE = ["zhicheng.web.body_limit", "zhicheng.accounts.middleware"]
# modules with `lanes`: hot read endpoints answered before the framework (zhicheng.web.fastlane)
FAST_LANES = ["zhicheng.exchange.delivery.lane", "zhicheng.opendata.ckan.lane"]


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if not (exc.name and module.startswith(exc.name)):
            raise
        return None


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for `settings` (the environment's by default). Migrations are applied by the CLI."""
    settings = settings or get_settings()
    settings.ensure_data_dir()
    engine = make_engine(settings.db_url, background_checkpoints=True)
    checkpointer = Checkpointer(engine)
    audit_anchor = attach_audit_anchor(engine, settings)  # refuses to start on a key file others may read
    startups = []

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from zhicheng.core.events import bus

        before = bus.registrations()
        for hook in startups:
            hook(app)
        remote = bus.connect(settings.bus_url)  # the other worker processes' facts (core.bus_redis)
        checkpointer.start()
        audit_anchor.start(engine)
        from zhicheng.iot.mqtt_updates import start_in_app as start_mqtt

        stop_mqtt = start_mqtt(app, settings)  # SensorThings MQTT updates, and the ingest worker, when configured
        try:
            yield
        finally:  # this app's bus handlers go with it (a process may run several apps, one after the other)
            stop_mqtt()
            audit_anchor.stop(engine)  # the last checkpoint of the audit chain's head
            checkpointer.stop()
            app.state.lane_workers.close()
            bus.disconnect(remote)
            bus.unsubscribe_added_since(before)

    app = LaneApp(
        lifespan=lifespan,
        title="智城 zhicheng",
        version=__version__,
        description="城市大脑数据平台 API / city data platform API",
        docs_url=None,  # /api/docs is ours (zhicheng.web.apidocs): vendored Swagger UI, no inline script
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.checkpointer = checkpointer
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.lane_workers = LaneWorkers(app.state.sessionmaker, idle_exit=settings.lane_idle_seconds)
    errors.install(app)
    app.state.navigation = Navigation()
    for name in ROUTERS:
        mod = _optional(name)
        if mod is not None and hasattr(mod, "router"):
            app.include_router(mod.router)
        if mod is not None and hasattr(mod, "nav_entries"):  # the app shell's menus (web.navigation)
            mod.nav_entries(app.state.navigation)
        if mod is not None and hasattr(mod, "on_startup"):
            startups.append(mod.on_startup)
    plugin_seam.mount(app, app.state.navigation)  # each plugin's routers and menu entries (zhicheng_routers, …)
    for name in MIDDLEWARE:
        mod = _optional(name)
        if mod is not None:
            mod.install(app)
    app.lanes = [lane for name in FAST_LANES if (mod := _optional(name)) is not None for lane in mod.lanes]
    # in front of lanes and routes alike: the client IP behind trusted proxies, security headers, CORS
    app.front = [client_ip.middleware(settings.trusted_proxies), SecurityHeaders,
                 cors.middleware(settings.cors_origins)]
    app.mount("/static", StaticFiles(directory=str(static_dir())), name="static")

    @app.get("/api/v1/health", tags=["system"])
    async def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
