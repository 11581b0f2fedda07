"""Settings from the environment (ZHICHENG_*) and an optional TOML file."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Everything an instance can be configured with; see docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="ZHICHENG_", extra="ignore")

    data: Path = Field(default=Path("var"), description="data folder: database, uploads, history, keys")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in the data folder")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, le=64, description="server worker processes of `zhicheng serve`")
    bus_url: str | None = Field(default=None, description="cross-process event bus (redis://host:6379/0); "
                                "none: each process's own bus, caches kept right by change counters")
    secret_key: str | None = Field(default=None, description="signs sessions and tokens; generated once if unset")
    language: str = Field(default="zh-CN", description="default language of pages and messages (zh-CN or en)")
    city_name: str = "长沙市"
    city_code: str = "430100"
    token_ttl_minutes: int = 480
    session_ttl_minutes: int = 720
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    max_upload_mb: int = 512
    max_body_mb: int = Field(default=2, ge=1, description="largest request body other than a file upload (413)")
    # what reading one imported file may cost, whatever the file (zhicheng.catalog.datasets.limits)
    import_max_uncompressed_mb: int = Field(default=2048, ge=1, description="inflated size of a zipped file (XLSX)")
    import_max_ratio: int = Field(default=200, ge=10, description="compression ratio of a part over 16 MiB in a zip")
    import_max_cells_per_row: int = Field(default=16_384, ge=1, description="cells in one row (Excel's columns)")
    import_max_shared_strings: int = Field(default=5_000_000, ge=1, description="strings in an XLSX string table")
    import_max_shared_strings_mb: int = Field(default=64, ge=1, description="UTF-8 size of an XLSX string table")
    import_max_cell_chars: int = Field(default=32_767, ge=1, description="characters in one cell (Excel's limit)")
    import_max_line_kb: int = Field(default=1024, ge=1, description="one CSV line or record, one XLSX row's XML")
    import_max_record_mb: int = Field(default=4, ge=1, description="one JSON record or GeoJSON feature")
    import_max_json_depth: int = Field(default=64, ge=2, description="nesting of one JSON record")
    audit_retention_days: int = 183
    # the audit chain's anchor outside the database (zhicheng.policy.anchor)
    audit_key_file: Path | None = Field(default=None, description="HMAC-SM3 key of the audit chain, mode 0600; "
                                        "default <data>/audit.key, created at first start")
    audit_checkpoint_file: Path | None = Field(default=None, description="signed checkpoints of the chain head, "
                                               "append-only; default <data>/audit-checkpoints.log")
    audit_checkpoint_every: int = Field(default=100, ge=1, description="a checkpoint after this many entries")
    audit_checkpoint_seconds: float = Field(default=10.0, gt=0, description="and at least this often (when changed)")
    audit_syslog: str | None = Field(default=None, description="also send checkpoints to syslog: host:port (UDP) "
                                     "or a unix socket path")
    # MQTT ingest (zhicheng.iot.mqtt): the broker `zhicheng iot mqtt` subscribes to
    mqtt_url: str | None = Field(default=None, pattern=r"^mqtts?://", description="broker of the MQTT ingest "
                                 "workers: mqtt://[user:password@]host[:port] (mqtts:// for TLS); none: no MQTT")
    mqtt_group: str = Field(default="zhicheng", pattern=r"^[^/+#\s]+$", description="shared subscription group: "
                            "the workers of one group split the messages")
    mqtt_topic_prefix: str = Field(default="", description="put before every ingest topic (e.g. city/), also in "
                                   "the generated ACL")
    mqtt_receive_maximum: int = Field(default=100, ge=1, le=65535, description="unacknowledged messages the broker "
                                      "may send a worker at once (MQTT 5 Receive Maximum)")
    mqtt_session_expiry_seconds: int = Field(default=7 * 86400, ge=0, description="how long the broker keeps a "
                                             "stopped worker's session and the QoS 1 messages meant for it")
    mqtt_in_process: bool = Field(default=False, description="run the MQTT ingest worker inside each server "
                                  "process (needs mqtt_url); the SensorThings MQTT updates run whenever mqtt_url is set")
    mqtt_updates_root: str | None = Field(default=None, description="service root in the @iot.selfLink of MQTT "
                                          "updates (https://city.example/sta/v1.1); default http://host:port/sta/v1.1")
    mqtt_updates_closed: bool = Field(default=False, description="also publish the observations of devices not open "
                                      "(only with a broker ACL confining subscribers: zhicheng iot mqtt-acl)")
    # HTTP ingest (zhicheng.iot.device_auth): per-device rate (429 past it) and requests in flight (503 past it)
    iot_device_rate_per_minute: int = Field(default=600, ge=0, description="write requests a minute per device "
                                            "(0: unlimited), counted where rate_limit_storage says")
    iot_ingest_max_in_flight: int = Field(default=32, ge=1, description="device write requests one process "
                                          "handles at once; beyond it 503 with Retry-After")
    lake_url: str | None = Field(default=None, description="the IoT data lake (Parquet, hive layout): a folder or "
                                 "an object-store URL (s3://bucket/path, gs://…); default <data>/lake")
    secure_cookies: bool = False
    webhook_allowed_hosts: list[str] = Field(default_factory=list, description="hosts webhooks may target")
    open_rate_per_minute: int = Field(
        default=120, ge=1, description="open-data API calls a minute per client IP and dataset, without a key"
    )
    open_key_rate_per_minute: int = Field(
        default=600, ge=1, description="open-data API calls a minute per API key and dataset (unless the key has its own)"
    )
    rate_limit_storage: str = Field(
        default="memory://",
        pattern=r"^(memory|redis|rediss|redis\+unix|redis\+sentinel|redis\+cluster)://",
        description="where the open-data rate limits are counted: memory:// (each worker alone) or a Redis URL "
        "such as redis://127.0.0.1:6379/0 (every worker shares one count)",
    )
    lane_idle_seconds: float = Field(
        default=60.0, gt=0, description="seconds a fast-lane worker thread waits for work before it ends"
    )
    password_hash_concurrency: int = Field(
        default=2, ge=1, description="password hashes (64 MiB each) computed at once; further logins wait their turn"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="IPs or CIDRs of the reverse proxies whose X-Forwarded-For is believed (comma-separated); none "
        "by default: the client IP is the connection's peer",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"],
        description="origins the public APIs (CKAN, DCAT, open REST) answer with CORS, comma-separated; * for any; "
        "empty for none. Staff APIs never send CORS headers",
    )

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # ZHICHENG_TRUSTED_PROXIES=10.0.0.1,10.1.0.0/16 (or a JSON list)
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("ZHICHENG_CONFIG")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def db_url(self) -> str:
        """The database URL in force: the configured one, else SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data / 'zhicheng.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    def ensure_data_dir(self) -> Path:
        """Create the data folder (and its sub-folders) if missing; return it."""
        for sub in ("", "uploads", "history", "exports"):
            (self.data / sub).mkdir(parents=True, exist_ok=True)
        return self.data

    def signing_key(self) -> str:
        """The secret key: configured, else read from (or created in) data/secret.key."""
        if self.secret_key:
            return self.secret_key
        self.ensure_data_dir()
        path = self.data / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings instead)."""
    return Settings()
