"""Errors as values: a code, a message in Chinese and English, the field at fault; rendered as RFC 9457."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error a user can read. `field` names the input at fault (dotted path), when there is one."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field
        self.errors = errors or []
        self.headers = headers or {}

    def message(self, lang: str = "zh-CN") -> str:
        return self.en if lang.startswith("en") else self.zh

    def problem(self, lang: str = "zh-CN", instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        body: dict[str, Any] = {
            "type": f"https://zhicheng.dev/problems/{self.code}",
            "title": self.code.replace("_", " "),
            "status": self.status,
            "detail": self.message(lang),
            "code": self.code,
        }
        if self.field:
            body["field"] = self.field
        if self.errors:
            body["errors"] = self.errors
        if instance:
            body["instance"] = instance
        return body


class Invalid(AppError):
    status, code = 422, "invalid"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class TooLarge(AppError):
    status, code = 413, "too_large"


class TooMany(AppError):
    status, code = 429, "too_many_requests"


def not_found(what_zh: str, what_en: str, ident: object) -> NotFound:
    """The usual 404: '<thing> <id> 不存在' / '<thing> <id> not found'."""
    return NotFound(f"{what_zh} {ident} 不存在", f"{what_en} {ident} not found")
