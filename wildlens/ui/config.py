"""app.py's typed config (keys and defaults documented in configs/default.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from wildlens.common.config_loader import Device


@dataclass
class AppConfig:
    section: ClassVar[str] = "app"
    bundle: str = ""
    host: str = "127.0.0.1"
    port: int = 7860
    language: Literal["en", "zh", "lo"] = "en"
    data_dir: str = "runs/app"
    database: str = ""
    users_file: str = ""
    auth_user_env: str = "WILDLENS_APP_USER"
    auth_password_env: str = "WILDLENS_APP_PASSWORD"
    allow_network_without_login: bool = False
    max_file_size_mb: int = 50
    max_photos: int = 12
    concurrency: int = 2
    queue_size: int = 16
    cache_cleanup_s: int = 300
    cache_max_age_s: int = 1800
    max_request_mb: int = 60
    max_request_files: int = 24
    max_session_mb: int = 1000
    max_session_files: int = 600
    session_idle_h: float = 12.0
    login_failures: int = 5
    login_lock_s: int = 60
    head_log: str = ""
    site_key: str = ""
    head_sign_every: int = 20
    heat_map: bool = True
    shift_guard: bool = True
    trusted_keys: list[str] = field(default_factory=list)
    top_k: int = 3
    workshop: bool = True
    workshop_image_size: int = 0
    workshop_max_dataset_mb: int = 2048
    workshop_views: int = 0
    device: Device = "auto"
    threads: int = 1


@dataclass
class VerifyStoreConfig:
    section: ClassVar[str] = "verify_store"
    data_dir: str = "runs/app"
    database: str = ""
    head_log: str = ""
    site_public_keys: list[str] = field(default_factory=list)


@dataclass
class UserConfig:
    section: ClassVar[str] = "user"
    action: Literal["add", "list", "remove"] = "list"
    name: str = ""
    role: str = ""
    full_name: str = ""
    change_password: bool = False
    password_env: str = ""
    password_stdin: bool = False
    data_dir: str = "runs/app"
    users_file: str = ""
