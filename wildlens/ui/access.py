"""Who is using the app, and what they may do: the sign-in check and the role of each request.

    access = Access.from_config(cfg)        # the users file, plus the login from the environment
    launch(..., auth=access.check if access.login_required else None)
    session = require(access, request, "save", language)   # or a translated "not allowed" toast

Two modes. With accounts (a users file with at least one user, or the single login named by
`auth_user_env`/`auth_password_env`, which is an admin), everyone signs in, each request carries
its login, the role decides the tabs and actions, and records and verdicts carry the signed-in
person. Without any account (on localhost, or with `allow_network_without_login=true`) the app
is one person's: every tab, typed names, as before accounts existed.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildlens.common.config_loader import ConfigError
from wildlens.ui.accounts import PERMISSIONS, Account, AccountError, UsersFile
from wildlens.ui.config import AppConfig
from wildlens.ui.errors import user_error
from wildlens.ui.i18n import text
from wildlens.ui.sessions import CLIENT_ADDRESS, LoginThrottle

log = logging.getLogger("wildlens.app")
FAILED_LOGIN_DELAY_S = 1.0  # each wrong password costs its sender a second


@dataclass(frozen=True)
class Session:
    """The person behind one request."""

    account: str = ""  # the login; "" when the app has no accounts
    name: str = ""  # what records and verdicts carry as officer / reviewer ("": typed)
    role: str = ""  # "" when the app has no accounts: one person may do everything

    @property
    def signed_in(self) -> bool:
        return bool(self.account)

    def may(self, action: str) -> bool:
        return not self.signed_in or self.role in PERMISSIONS[action]


def users_path(cfg: AppConfig) -> Path:
    return Path(cfg.users_file) if cfg.users_file else Path(cfg.data_dir) / "users.json"


def environment_login(cfg: AppConfig) -> tuple[str, str] | None:
    """The single login from the environment variables the config names; None when neither
    is set."""
    user = os.environ.get(cfg.auth_user_env, "") if cfg.auth_user_env else ""
    password = os.environ.get(cfg.auth_password_env, "") if cfg.auth_password_env else ""
    if bool(user) != bool(password):
        raise ConfigError(
            f"set both {cfg.auth_user_env} and {cfg.auth_password_env} for a login, or neither"
        )
    return (user, password) if user else None


class Access:
    def __init__(
        self,
        users: UsersFile,
        env_login: tuple[str, str] | None = None,
        throttle: LoginThrottle | None = None,
    ):
        self.users = users
        self.env_login = env_login
        self.throttle = throttle or LoginThrottle(delay_s=FAILED_LOGIN_DELAY_S)
        try:
            self._had_accounts = bool(users.accounts())
        except AccountError as error:
            raise ConfigError(str(error)) from None

    @classmethod
    def from_config(cls, cfg: AppConfig) -> Access:
        return cls(UsersFile(users_path(cfg)), environment_login(cfg), throttle_of(cfg))

    @property
    def login_required(self) -> bool:
        """Whether the app asks everyone to sign in (decided when it starts)."""
        return self._had_accounts or self.env_login is not None

    def account(self, login: str | None) -> Account | None:
        if not login:
            return None
        if self.env_login is not None and login == self.env_login[0]:
            return Account(login, "admin")
        try:
            return self.users.get(login)
        except AccountError as error:  # the file was damaged while the app runs
            log.warning("users file: %s", error)
            return None

    def stamp(self, login: str) -> tuple[str, str] | None:
        """(role, password hash) of a login; None when it can no longer sign in."""
        if self.env_login is not None and login == self.env_login[0]:
            return ("admin", "")
        try:
            return self.users.stamp(login)
        except AccountError as error:
            log.warning("users file: %s", error)
            return None

    def verify(self, login: str, password: str) -> Account | None:
        if self.env_login is not None and login == self.env_login[0]:
            ok = hmac.compare_digest(password.encode(), self.env_login[1].encode())
            return Account(login, "admin") if ok else None
        try:
            return self.users.verify(login, password)
        except AccountError as error:
            log.warning("users file: %s", error)
            return None

    async def check(self, login: str, password: str) -> bool:
        """Gradio's sign-in check: hashing runs in a thread, so other requests go on; tries on
        one account or from one address go one at a time, and repeated failures lock both for a
        while (the answer is the same as for a wrong password)."""
        address = CLIENT_ADDRESS.get()
        keys = [("account", (login or "").lower())] + ([("address", address)] if address else [])
        throttle = self.throttle
        async with throttle.one_at_a_time(keys):
            wait = throttle.locked_for(keys)
            if wait > 0:
                log.warning(
                    "sign-in refused for %r from %s: locked for %.0f s more", login, address, wait
                )
                await asyncio.sleep(throttle.delay_s)
                return False
            account = await asyncio.to_thread(self.verify, login, password)
            if account is None:
                log.warning("sign-in refused for %r from %s", login, address)  # no password
                throttle.failed(keys)
                await asyncio.sleep(throttle.delay_s)
                return False
            throttle.succeeded(keys)
        log.info("signed in: %s (%s) from %s", account.name, account.role, address)
        return True

    def session(self, request: Any) -> Session:
        """The person behind `request` (a gr.Request; None from in-process calls)."""
        if not self.login_required:
            return Session()
        login = getattr(request, "username", None) or ""
        account = self.account(login)
        if account is None:  # removed since signing in, or a request without a login
            return Session(account=login or "?", name=login, role="")
        return Session(account=account.name, name=account.display_name, role=account.role)


def throttle_of(cfg: AppConfig) -> LoginThrottle:
    return LoginThrottle(
        failures=cfg.login_failures, lock_s=cfg.login_lock_s, delay_s=FAILED_LOGIN_DELAY_S
    )


def require(access: Access, request: Any, action: str, language: str) -> Session:
    """The request's session if it may do `action`; else a translated toast (and one log line)."""
    session = access.session(request)
    if not session.may(action):
        roles = ", ".join(text(language, "role." + r) for r in PERMISSIONS[action])
        role = text(language, "role." + session.role) if session.role else "-"
        raise user_error(
            text(language, "error.not_allowed", name=session.name, role=role, roles=roles)
        )
    return session
