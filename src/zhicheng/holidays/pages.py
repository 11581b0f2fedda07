"""The admin's holiday schedule pages (放假安排): the years entered and missing, entering a year, one year's days."""

from __future__ import annotations

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_allowed
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid
from zhicheng.core.workdays import schedule
from zhicheng.holidays import flows, service
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/exchange/holidays"
EXAMPLE = "2027-01-01 元旦 休\n2027-02-06~2027-02-12 春节 休\n2027-02-13 春节调休 班"


def _page(request: Request, db: Session, actor: Actor, values: dict | None = None, error: str | None = None,
          status: int = 200):
    view = service.overview(db, actor=actor)
    missing = view["missing_years"]
    values = values or {"year": str(missing[0]) if missing else "", "source": "", "lines": ""}
    return render(request, "holidays/holidays.html", {
        **view, "values": values, "error": error, "example": EXAMPLE,
        "breadcrumbs": [("放假安排", None)]}, status_code=status)


@router.get(PAGE)
def holidays_page(request: Request, actor: Actor = Depends(require_allowed("update", "exchange.holidays")), db: Session = Depends(get_db)):
    """放假安排：已录入的年份、缺少安排的年份、录入表单 / the holiday schedules (platform admin)."""
    return _page(request, db, actor)


def _read_upload(file: UploadFile | None) -> bytes | None:
    if file is None or not file.filename:
        return None
    data = file.file.read(schedule.MAX_BYTES + 1)  # already received: a worker thread reads the spooled file
    if len(data) > schedule.MAX_BYTES:
        raise Invalid(f"文件最多 {schedule.MAX_BYTES // 1024} KB", f"the file is {schedule.MAX_BYTES // 1024} KB "
                      "at most", field="file")
    return data


@router.post(PAGE, dependencies=[Depends(csrf_protect)])
def enter_year(request: Request, year: str = Form(""), source: str = Form(""), lines: str = Form(""),
               file: UploadFile | None = File(None), actor: Actor = Depends(require_allowed("update", "exchange.holidays")),
               db: Session = Depends(get_db)):
    """Enter a year from the pasted lines or an uploaded CSV, then back to the list (POST-redirect-GET)."""
    values = {"year": year, "source": source, "lines": lines}
    try:
        year = year.strip()
        if not (year.isascii() and year.isdigit() and len(year) == 4):
            raise Invalid("请填写年份，如 2027", "enter the year, e.g. 2027", field="year")
        data = _read_upload(file)
        entries = schedule.parse_upload(data) if data is not None else schedule.parse_lines(lines)
        flows.enter_year(db, actor=actor, year=int(year), entries=entries, source=source)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        db.rollback()
        return _page(request, db, actor, values, exc.message(request_language(request)), exc.status)
    return flash(request, RedirectResponse(f"{PAGE}/{int(year)}", status_code=303),
                 "放假安排已录入，待审批申请的答复期限已按新安排重新计算。")


@router.get(PAGE + "/{year}")
def year_page(request: Request, year: int, actor: Actor = Depends(require_allowed("update", "exchange.holidays")),
              db: Session = Depends(get_db)):
    """一年的放假安排（逐日）/ one year's schedule, date by date."""
    view = service.read_year(db, actor=actor, year=year)
    return render(request, "holidays/year.html", {
        "y": view, "lines": schedule.as_lines(view),
        "breadcrumbs": [("放假安排", PAGE), (str(year), None)]})


@router.post(PAGE + "/{year}/delete", dependencies=[Depends(csrf_protect)])
def delete_year(request: Request, year: int, actor: Actor = Depends(require_allowed("update", "exchange.holidays")),
                db: Session = Depends(get_db)):
    flows.delete_year(db, actor=actor, year=year)
    return flash(request, RedirectResponse(PAGE, status_code=303), "已删除该年放假安排。")


def nav_entries(nav) -> None:
    """The holidays page in the app shell's 系统管理 group (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("system", "放假安排", PAGE, roles=("admin",), order=35)
