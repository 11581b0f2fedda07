"""Who is acting: the value every service and the policy decision point receive."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """An authenticated user, an API key's owner, the system itself, or the anonymous public."""

    kind: str  # "user" | "apikey" | "system" | "anonymous"
    user_id: int | None = None
    username: str | None = None
    display_name: str | None = None
    department_id: int | None = None
    department_code: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    via: str = "session"  # session | token | apikey | cli | system

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_authenticated(self) -> bool:
        return self.kind in ("user", "apikey", "system")


ANONYMOUS = Actor(kind="anonymous")
SYSTEM = Actor(kind="system", username="system", roles=frozenset({"system"}), via="system")


def cli_operator() -> Actor:
    """The actor of a CLI command: the system, named after the operating-system account that ran it."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(kind="system", username=f"cli:{who}"[:64], roles=frozenset({"system"}), via="cli")
