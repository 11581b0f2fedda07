"""The roles a user can hold, with their Chinese and English names."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # 平台管理员 (大数据局)
    DATA_OFFICER = "data_officer"  # 部门数据管理员
    DEPT_USER = "dept_user"  # 部门用户
    OPERATOR = "operator"  # 指挥中心操作员
    INSPECTOR = "inspector"  # 网格员
    HANDLER = "handler"  # 处置单位
    LEADER = "leader"  # 领导
    AUDITOR = "auditor"  # 审计员 (alone reads the audit log)
    SECURITY_ADMIN = "security_admin"  # 安全管理员 (roles and permissions; the accounts of the three duties)


ROLE_NAMES: dict[str, tuple[str, str]] = {
    Role.ADMIN: ("平台管理员", "Platform admin"),
    Role.DATA_OFFICER: ("部门数据管理员", "Department data officer"),
    Role.DEPT_USER: ("部门用户", "Department user"),
    Role.OPERATOR: ("指挥中心操作员", "Operations operator"),
    Role.INSPECTOR: ("网格员", "Grid inspector"),
    Role.HANDLER: ("处置单位", "Handling unit"),
    Role.LEADER: ("领导", "Leader"),
    Role.AUDITOR: ("审计员", "Auditor"),
    Role.SECURITY_ADMIN: ("安全管理员", "Security admin"),
}
