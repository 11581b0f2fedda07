"""A minimal zhicheng scenario plugin: pocket parks (口袋公园) — template, menu entry, page, API, demo data."""

from __future__ import annotations

import csv
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Depends, Request

from zhicheng.accounts.deps import require_user
from zhicheng.hookspecs import hookimpl

KEY = "pocket_parks"
ITEMS = [
    {"name": "park_code", "label": "公园编码", "type": "string", "length": 20, "required": True},
    {"name": "park_name", "label": "公园名称", "type": "string", "length": 100, "required": True},
    {"name": "district_code", "label": "所在区县代码", "type": "string", "length": 6, "check": "region_code"},
    {"name": "area_m2", "label": "面积（平方米）", "type": "decimal", "length": 12, "scale": 2},
    {"name": "opened_on", "label": "开放日期", "type": "date"},
]


def _parks() -> list[dict]:
    with resources.files(__name__).joinpath("parks.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@hookimpl
def zhicheng_resource_templates() -> list[dict]:
    """One resource template; its `department` and `state` make the demo loader register it in the demo city."""
    return [{
        "key": KEY, "name": "口袋公园名录", "catalog_class": "theme", "subclass": "city_management",
        "summary": "城市口袋公园的名称、位置、面积和开放日期（示例插件的演示数据）。", "format": "数据库",
        "file_formats": ["csv"], "share_type": "unconditional", "share_method": "api", "open_type": "unconditional",
        "update_cycle": "yearly", "tags": ["口袋公园", "园林绿化"], "items": ITEMS,
        "department": "urban", "state": "published",
    }]


@hookimpl
def zhicheng_demo_data(context) -> None:
    """Import the bundled parks into the template's resource, once (a resumed load skips it)."""
    from zhicheng.catalog.datasets import service as datasets

    resource_id = context.resource_ids[KEY]
    officer = context.actor("urban_officer")
    if datasets.list_versions(context.db, actor=officer, resource_id=resource_id):
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parks.csv"
        with resources.as_file(resources.files(__name__).joinpath("parks.csv")) as src:
            shutil.copyfile(src, path)
        report = context.import_csv("urban_officer", resource_id, path)
    context.counts["rows.pocket_parks"] = report.row_count


@hookimpl
def zhicheng_nav_entries(nav) -> None:
    nav.register_nav("governance", "口袋公园", "/pocket-parks", order=90)


router = APIRouter(tags=["pocket parks 口袋公园 (example plugin)"])


@router.get("/api/v1/pocket-parks")
def parks_json(actor=Depends(require_user)) -> dict:
    parks = _parks()
    return {"total": len(parks), "parks": parks}


@router.get("/pocket-parks", include_in_schema=False)
def parks_page(request: Request, actor=Depends(require_user)):
    """A page in the app shell: its template extends the platform's base.html (see zhicheng_template_dirs)."""
    from zhicheng.web.templating import render

    return render(request, "pocket_parks/list.html", {"parks": _parks(),
                                                       "breadcrumbs": [("城市治理", None), ("口袋公园", None)]})


@hookimpl
def zhicheng_routers() -> list:
    return [router]


@hookimpl
def zhicheng_template_dirs() -> list:
    return [str(Path(__file__).parent / "templates")]
