"""Names people read for audit actions (Chinese and English), so the auditor's pages say what happened."""

from __future__ import annotations

from zhicheng.policy.rules import KIND_NAMES

ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("创建", "create"), "update": ("修改", "update"), "delete": ("删除", "delete"),
    "read": ("查看", "read"), "export": ("导出", "export"), "verify": ("校验", "verify"),
    "login": ("登录", "log in"), "logout": ("退出登录", "log out"), "lockout": ("登录失败过多，锁定账户", "lock-out"),
    "change_password": ("修改本人密码", "change own password"),
    # the separation of the three duties: what the auditor must see (granted, revoked, reset, refused)
    "set_roles": ("设置角色", "set roles"), "grant_role": ("授予角色", "grant a role"),
    "revoke_role": ("撤销角色", "revoke a role"), "reset_password": ("重置密码", "reset the password"),
    "unlock": ("解除锁定", "unlock"), "activate": ("启用账户", "activate"), "deactivate": ("停用账户", "deactivate"),
    "apikey.create": ("创建 API 密钥", "create an API key"), "apikey.revoke": ("吊销 API 密钥", "revoke an API key"),
    "audit.log.verify": ("校验审计链", "verify the audit chain"),
    "audit.log.export": ("导出审计日志", "export the audit log"), "audit.purge": ("清理过期审计记录", "purge"),
    "audit.rekey": ("审计链改用密钥哈希", "audit chain re-keyed"),
}


def action_label(action: str, target_kind: str | None = None, lang: str = "zh-CN") -> str:
    """"授予角色 · 用户": the action and the kind it touched, in `lang` (the code itself when unknown)."""
    en = lang.startswith("en")
    names = ACTIONS.get(action)
    text = (names[1] if en else names[0]) if names else action
    kind = KIND_NAMES.get(target_kind or "")
    return f"{text} · {kind[1] if en else kind[0]}" if kind and "." not in action else text
