"""API shapes of the accounts domain (Pydantic v2): departments, users, tokens, API keys, the current actor."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhicheng.core.clock import ApiDatetime

DepartmentKind = Literal["city", "district", "bureau", "street"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str | None = None
    short_name: str | None = None
    kind: str
    region_code: str
    credit_code: str | None = None
    parent_id: int | None = None
    sort_order: int = 0
    active: bool = True


class DepartmentNodeOut(DepartmentOut):
    children: list[DepartmentNodeOut] = Field(default_factory=list)


class DepartmentCreate(Strict):
    name: str = Field(min_length=1, max_length=100, description="部门名称 / name")
    kind: DepartmentKind = "bureau"
    region_code: str = Field(pattern=r"^(\d{6}|\d{9}|\d{12})$", description="GB/T 2260 行政区划代码")
    code: str | None = Field(default=None, max_length=32, description="部门编码；不填则自动生成")
    parent_id: int | None = None
    name_en: str | None = Field(default=None, max_length=200)
    short_name: str | None = Field(default=None, max_length=50)
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    sort_order: int = Field(default=0, ge=0, le=100000)


class DepartmentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: DepartmentKind | None = None
    region_code: str | None = Field(default=None, pattern=r"^(\d{6}|\d{9}|\d{12})$")
    parent_id: int | None = None
    name_en: str | None = Field(default=None, max_length=200)
    short_name: str | None = Field(default=None, max_length=50)
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    sort_order: int | None = Field(default=None, ge=0, le=100000)
    active: bool | None = None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    department_id: int
    department_code: str | None = None
    department_name: str | None = None
    email: str | None = None
    phone: str | None = None
    roles: list[str]
    active: bool
    locked: bool = False
    last_login_at: ApiDatetime | None = None
    created_at: ApiDatetime | None = None


class UserCreate(Strict):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=128)
    display_name: str = Field(min_length=1, max_length=100)
    department_id: int
    roles: list[str] = Field(default_factory=list)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)


class UserUpdate(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    department_id: int | None = None
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    active: bool | None = None


class RolesIn(Strict):
    roles: list[str]


class PasswordReset(Strict):
    new_password: str = Field(min_length=1, max_length=128)


class PasswordChange(Strict):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class TokenRequest(Strict):
    grant_type: Literal["password"] = "password"
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    expires_at: ApiDatetime


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    expires_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("name")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name is blank")
        return v


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    expires_at: ApiDatetime | None = None
    revoked_at: ApiDatetime | None = None
    last_used_at: ApiDatetime | None = None
    created_at: ApiDatetime


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="完整密钥，仅显示这一次 / the full key, shown this once")


class MeOut(BaseModel):
    kind: str
    via: str
    user: UserOut
    csrf_token: str | None = Field(default=None, description="cookie 会话的 CSRF 令牌 / CSRF token of a cookie session")
