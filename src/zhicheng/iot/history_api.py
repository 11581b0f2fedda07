"""IoT history API (物联感知·历史): aggregates by hour, day or month and raw observations page by page over the hot
store and the Parquet lake; and on_startup(app): the periodic lake pass (export, compact)."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import current_actor
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.iot import rollups
from zhicheng.policy import audit
from zhicheng.web.deps import get_db, get_settings
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/iot/history", tags=["iot 物联感知"])
log = logging.getLogger(__name__)
LAKE_PASS_SECONDS = 3600.0  # the server exports to the lake and compacts it this often

FROM_Q = Query(default=None, alias="from", description="起（ISO 8601，无时区为北京时间）/ from")
TO_Q = Query(default=None, description="止（不含；默认现在）/ to (exclusive; default now)")


MAX_PAGE = 10_000  # observations a page (history.MAX_PAGE)


def _history():
    """The history module: pyarrow and DuckDB (some 45 MB) load on the first history request, not at start-up."""
    from zhicheng.iot import history

    return history


def _lake(settings):
    from zhicheng.iot import lake

    return lake.open_lake(settings)


@router.get("/aggregates")
def history_aggregates(datastreams: str | None = Query(default=None, description="数据流编号，逗号分隔 / ids: 1,2,3"),
                       interval: str = Query(default="day", description="hour | day | month（北京时间）"),
                       function: str = Query(default="mean", description="mean | min | max | sum | count"),
                       start: str | None = FROM_Q, to: str | None = TO_Q, db: Session = Depends(get_db),
                       settings=Depends(get_settings), actor: Actor = Depends(current_actor)):
    """热数据与历史湖上的统计（任意时段，按时、日、月）/ aggregates over the hot store and the lake, any span, by
    hour, day or month of Beijing time."""
    ids = rollups.parse_ids(datastreams)
    history = _history()
    span = history.parse_span(interval=interval, function=function, start=start, end=to, datastreams=len(ids))
    streams = history.series(db, _lake(settings), actor=actor, datastream_ids=ids, span=span)
    audit.record(db, actor=actor, action="iot.history.aggregates.read", target_kind="iot.datastream",
                 target_id=ids[0] if len(ids) == 1 else None,
                 detail={"datastreams": ids, "interval": span.interval, "function": span.function,
                         "from": span.start.isoformat(), "to": span.end.isoformat()})
    db.commit()
    return {"interval": span.interval, "function": span.function, "from": clock.local(span.start),
            "to": clock.local(span.end), "datastreams": streams}


@router.get("/observations")
def history_observations(datastream: int = Query(..., ge=1, description="数据流编号 / datastream id"),
                         start: str | None = FROM_Q, to: str | None = TO_Q,
                         after: str | None = Query(default=None, description="上一页的 next / the previous page's next"),
                         limit: int = Query(default=1000, ge=1, le=MAX_PAGE),
                         db: Session = Depends(get_db), settings=Depends(get_settings),
                         actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """一个数据流的原始观测，按时间分页（热数据与历史湖）/ a datastream's raw observations in time order, page by
    page, over the hot store and the lake."""
    history = _history()
    end = clock.now() if to is None else history.instant(to, "to")
    since = end - history.DEFAULT_SPANS["day"] if start is None else history.instant(start, "from")
    cursor = None if after is None else history.instant(after, "after")
    if since >= end:
        raise rollups.BadParameter("from 须早于 to", "from must be before to", field="from")
    page = history.observations(db, _lake(settings), actor=actor, datastream_id=datastream, start=since, end=end,
                                after=cursor, limit=limit)
    audit.record(db, actor=actor, action="iot.history.observations.read", target_kind="iot.datastream",
                 target_id=datastream, detail={"from": since.isoformat(), "to": end.isoformat(),
                                               "after": after, "rows": len(page["values"])})
    db.commit()
    return {"from": clock.local(since), "to": clock.local(end), **page}


# -- background: the periodic lake pass ------------------------------------------------------------------------------


def _lake_worker(app_ref: weakref.ReferenceType, pool: Any, stop: threading.Event) -> None:
    while not stop.wait(LAKE_PASS_SECONDS):
        app = app_ref()
        if app is None or app.state.engine.pool is not pool:
            return
        factory, settings = app.state.sessionmaker, app.state.settings
        del app
        from zhicheng.iot import lake
        try:
            with factory() as db:
                done = lake.run_pass(db, lake.open_lake(settings))
            log.info("lake pass: %s", done)
        except lake.Busy:
            pass  # another worker process is at it
        except Exception:  # noqa: BLE001 - the worker must outlive a bad pass
            log.exception("lake pass failed")


def on_startup(app) -> None:
    """Start the periodic lake pass (every worker process starts one; the lease lets one of them work at a time)."""
    stop = threading.Event()
    app.state.lake_worker_stop = stop
    threading.Thread(target=_lake_worker, args=(weakref.ref(app), app.state.engine.pool, stop),
                     name="zhicheng-lake", daemon=True).start()
