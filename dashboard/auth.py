"""Sign-in and access control for the whole Flask server behind Dash.

One `before_request` guard covers every route (pages, /_dash-layout, /_dash-dependencies,
/_dash-update-component, component bundles, assets, report downloads, /metrics); only /login is public, and
/metrics also takes the bearer token of Settings.metrics_token. Sessions live
server-side (dashboard_sessions; signing out ends them for good) and time out after
Settings.session_timeout_minutes without user activity (interval refreshes do not count), sign-in
attempts are limited per account (users.failed_logins / locked_until) and per client address, the session is
replaced on sign-in, and every state-changing request must carry the session's CSRF token in a header: Dash's
renderer sends the `yuqing_csrf` cookie's value as X-CSRF-Token (double submit, checked against the session).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, jsonify, redirect, request, session
from flask import Response as FlaskResponse
from flask_login import AnonymousUserMixin, LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import generate_password_hash
from werkzeug.wrappers import Response

from core.clock import ensure_utc, to_local
from core.errors import ConfigError, ConfigProblem
from core.models import AuditLog, DashboardSession, User
from core.settings import Settings
from core.users import verify_password
from dashboard import metrics
from dashboard.runtime import Services

logger = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
PUBLIC_PATHS = frozenset({LOGIN_PATH})
CSRF_COOKIE = "yuqing_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_COOKIE = "yuqing_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_STORE = frozenset({"_dash-layout", "_dash-dependencies", "_dash-update-component"})
# Paths only some roles may open directly (the pages check again, and so does every admin callback).
ROLE_PATHS = {"/admin": frozenset({"admin"})}
ROLE_LABELS = {"duty": "值班员", "leader": "领导", "admin": "管理员"}


@dataclass(frozen=True)
class Account:
    """The signed-in user as the dashboard sees it (never an ORM object)."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    token: str  # ties the session to the password: changing it ends every session

    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return f"{self.id}:{self.token}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Activity is written at most this often per session; the idle timeout is minutes, so this costs nothing.
ACTIVITY_WRITE_SECONDS = 30


def session_key(sid: str) -> str:
    """What the database keeps of a session id: its hash, so a copy of the table cannot be replayed."""
    return hashlib.sha256(sid.encode()).hexdigest()


def password_token(password_hash: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:20]


def current_account() -> Account | None:
    user = current_user
    if isinstance(user, Account):
        return user
    return None


def require_account() -> Account:
    """The signed-in account inside a callback; the guard makes anonymous calls impossible."""
    account = current_account()
    if account is None:
        raise PermissionError("not signed in")
    return account


# --- secret key -----------------------------------------------------------------------------------------


def resolve_secret_key(settings: Settings) -> str:
    """Settings.secret_key; in development a random key generated once into <data_dir>/secret_key (0600)."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    if settings.mode == "production":
        raise ConfigError([ConfigProblem("environment", "YUQING_SECRET_KEY", "required in production mode")])
    path: Path = settings.data_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return key
        raise ConfigError([ConfigProblem(str(path), "", "secret key file is too short; delete it")]) from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    logger.info("generated a development secret key in %s", path)
    return key


# --- rate limiting --------------------------------------------------------------------------------------


class AttemptLimiter:
    """Sliding-window count of sign-in attempts per client address (in this process)."""

    def __init__(self, max_attempts: int, window_seconds: float) -> None:
        self.max_attempts = max_attempts
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] > self.window:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key, time.monotonic())) >= self.max_attempts

    def hit(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._trim(key, now).append(now)
            if len(self._hits) > 10_000:  # forget idle addresses
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


# --- the guard ------------------------------------------------------------------------------------------


def _is_passive_refresh() -> bool:
    """True for a callback fired only by an interval timer: it must not keep an idle session alive."""
    if request.path.rstrip("/").split("/")[-1] != "_dash-update-component":
        return False
    body = request.get_json(silent=True) or {}
    changed = body.get("changedPropIds") or []
    return bool(changed) and all(str(p).endswith(".n_intervals") for p in changed)


def _wants_json() -> bool:
    path = request.path
    return (
        "/_dash-" in path
        or request.method not in SAFE_METHODS
        or request.accept_mimetypes.best == "application/json"
    )


def _refuse_anonymous(reason: str = "login") -> Response:
    if _wants_json():
        response = jsonify({"error": "login required", "reason": reason})
        response.status_code = 401
        return response
    target = request.full_path.rstrip("?") if request.query_string else request.path
    suffix = "&expired=1" if reason == "expired" else ""
    return redirect(f"{LOGIN_PATH}?next={quote(target)}{suffix}")


def _refuse_metrics() -> Response:
    response = FlaskResponse("authentication required\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = 'Bearer realm="yuqing"'
    return response


def safe_next(value: str | None) -> str:
    """Only same-site relative targets after sign-in (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _client_ip() -> str:
    return request.remote_addr or "unknown"


class Auth:
    """Installs sign-in, the guard, CSRF and security headers on a Flask server."""

    def __init__(self, server: Flask, services: Services) -> None:
        self.server = server
        self.services = services
        settings = services.config.settings
        self.timeout = timedelta(minutes=settings.session_timeout_minutes)
        self.max_attempts = settings.login_max_attempts
        self.lockout = timedelta(minutes=settings.login_lockout_minutes)
        # Per address: four accounts' worth of attempts per lockout window.
        self.ip_limiter = AttemptLimiter(settings.login_max_attempts * 4, settings.login_lockout_minutes * 60)
        self.secure_cookies = services.config.settings.effective_base_url.startswith("https://")
        self.metrics_token = settings.metrics_token
        self._dummy_hash = generate_password_hash(secrets.token_hex(8), method="scrypt")

        manager = LoginManager()
        manager.anonymous_user = AnonymousUserMixin
        manager.init_app(server)
        manager.user_loader(self.load_account)
        # Registered before Dash adds its own hooks, so nothing of Dash runs for an anonymous request.
        server.before_request(self.guard)
        server.after_request(self.after_request)
        from dashboard.pages import login as login_page

        self.login_page = login_page
        server.add_url_rule(LOGIN_PATH, "login", self.login_view, methods=["GET", "POST"])
        server.add_url_rule(LOGOUT_PATH, "logout", self.logout_view, methods=["POST"])

    # -- sessions

    @property
    def _secret(self) -> str:
        return str(self.server.secret_key)

    def load_account(self, user_id: str) -> Account | None:
        raw_id, _, token = user_id.partition(":")
        if not raw_id.isdigit():
            return None
        with self.services.db.session() as s:
            row = s.get(User, int(raw_id))
            if row is None or not row.active:
                return None
            if not hmac.compare_digest(password_token(row.password_hash, self._secret), token):
                return None
            return Account(
                row.id, row.username, row.display_name or row.username, row.role, row.department_id, token
            )

    def guard(self) -> Response | None:
        path = request.path
        if path in PUBLIC_PATHS:
            return None
        if path == metrics.METRICS_PATH and request.method in SAFE_METHODS:
            # A monitoring system scrapes with a bearer token; a signed-in person may look as well.
            if metrics.bearer_ok(request.headers.get("Authorization"), self.metrics_token):
                return None
            if current_account() is None:
                if request.headers.get("Authorization"):
                    logger.warning("/metrics: wrong bearer token from %s", _client_ip())
                return _refuse_metrics()
        account = current_account()
        if account is None:
            return _refuse_anonymous()
        status = self._check_session(account)
        if status != "ok":
            logout_user()
            session.clear()
            return _refuse_anonymous("expired" if status == "timeout" else "login")
        if request.method not in SAFE_METHODS:
            expected = session.get("csrf")
            # Dash sends the header; the plain sign-out form sends a field (forms cannot set headers).
            sent = request.headers.get(CSRF_HEADER, "") or (
                request.form.get("csrf_token", "")
                if request.mimetype == "application/x-www-form-urlencoded"
                else ""
            )
            if not expected or not sent or not hmac.compare_digest(str(expected), sent):
                logger.warning(
                    "CSRF token missing or wrong on %s %s from %s", request.method, path, _client_ip()
                )
                response = jsonify({"error": "CSRF token missing or invalid"})
                response.status_code = 403
                return response
        allowed = ROLE_PATHS.get(path.rstrip("/") or "/")
        if allowed is not None and account.role not in allowed:
            return FlaskResponse(self.login_page.render_forbidden(), status=403, mimetype="text/html")
        return None

    def _check_session(self, account: Account) -> str:
        """'ok', or why the server-side session is over ('missing', 'ended', 'timeout'). Records activity
        (at most every ACTIVITY_WRITE_SECONDS, and never for automatic refreshes)."""
        sid = session.get("sid")
        if not isinstance(sid, str) or not sid:
            return "missing"
        now = self.services.clock.now()
        with self.services.db.session() as s:
            row = s.get(DashboardSession, session_key(sid))
            if row is None or row.user_id != account.id:
                return "missing"
            if row.ended_at is not None:
                return "ended"
            idle = now - ensure_utc(row.last_active_at)
            if idle > self.timeout:
                row.ended_at = now
                row.end_reason = "timeout"
                logger.info("session of %s timed out", account.username)
                return "timeout"
            if idle.total_seconds() >= ACTIVITY_WRITE_SECONDS and not _is_passive_refresh():
                row.last_active_at = now
        return "ok"

    def after_request(self, response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self'; worker-src 'self' blob:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if request.path.rsplit("/", 1)[-1] in NO_STORE or request.path == LOGIN_PATH:
            # Data and forms are never cached; the fingerprinted component bundles keep Dash's own caching.
            response.headers["Cache-Control"] = "no-store"
        token = session.get("csrf")
        if current_account() is not None and token and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(
                CSRF_COOKIE,
                str(token),
                httponly=False,
                samesite="Strict",
                secure=self.secure_cookies,
                path="/",
            )
        return response

    # -- views

    def _audit(self, actor: str, action: str, user_id: int | None, detail: dict[str, Any]) -> None:
        with self.services.db.session() as s:
            s.add(
                AuditLog(
                    at=self.services.clock.now(),
                    actor=actor,
                    action=action,
                    object_type="user",
                    object_id=None if user_id is None else str(user_id),
                    detail=detail,
                )
            )

    def _login_form(self, error: str = "", status: int = 200, username: str = "") -> Response:
        # One token per pre-login session: the browser's parallel requests (favicon, a second tab) that land
        # on this page must not invalidate the form already shown.
        token = session.get("login_csrf")
        if not isinstance(token, str) or not token:
            token = secrets.token_urlsafe(32)
            session["login_csrf"] = token
        info = "会话已超时，请重新登录。" if request.args.get("expired") else ""
        html = self.login_page.render_login(
            error=error,
            info=info,
            next_url=safe_next(request.values.get("next")),
            csrf=token,
            username=username,
            office=self.services.config.settings.office_name,
        )
        return FlaskResponse(html, status=status, mimetype="text/html")

    def login_view(self) -> Response:
        if request.method == "GET":
            if current_account() is not None and session.get("sid"):
                return redirect(safe_next(request.args.get("next")))
            return self._login_form()
        ip = _client_ip()
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        expected = session.get("login_csrf")
        sent = request.form.get("csrf_token") or ""
        if not expected or not hmac.compare_digest(str(expected), sent):
            return self._login_form("页面已过期，请重新输入。", 400, username)
        if self.ip_limiter.blocked(ip):
            logger.warning("sign-in attempts from %s are rate-limited", ip)
            return self._login_form("登录尝试过于频繁，请稍后再试。", 429, username)
        self.ip_limiter.hit(ip)
        now = self.services.clock.now()
        with self.services.db.session() as s:
            user = s.scalar(select(User).where(User.username == username)) if username else None
            if user is None or not user.active:
                verify_password(self._dummy_hash, password)  # same cost as a real check: no user probing
                ok, locked_until, user_id, token = False, None, None, ""
            else:
                locked_until = ensure_utc(user.locked_until) if user.locked_until else None
                if locked_until is not None and locked_until > now:
                    ok = False
                else:
                    locked_until = None
                    ok = verify_password(user.password_hash, password)
                    if ok:
                        user.failed_logins = 0
                        user.locked_until = None
                        user.last_login_at = now
                    else:
                        user.failed_logins = (user.failed_logins or 0) + 1
                        if user.failed_logins >= self.max_attempts:
                            user.locked_until = now + self.lockout
                            user.failed_logins = 0
                            locked_until = user.locked_until
                            logger.warning("account %s locked after repeated failed sign-ins", user.username)
                user_id = user.id
                token = password_token(user.password_hash, self._secret)
            account = (
                Account(
                    user.id,
                    user.username,
                    user.display_name or user.username,
                    user.role,
                    user.department_id,
                    token,
                )
                if ok and user is not None
                else None
            )
            s.add(
                AuditLog(
                    at=now,
                    # An unknown name is often a password typed into the wrong field: never store it.
                    actor=username if user_id is not None else "(unknown user)",
                    action="user.login" if ok else "user.login_failed",
                    object_type="user",
                    object_id=None if user_id is None else str(user_id),
                    detail={"ip": ip},
                )
            )
        if account is None:
            if locked_until is not None:
                until = to_local(locked_until).strftime("%H:%M")
                return self._login_form(f"账户已锁定，请于 {until} 后重试。", 403, username)
            return self._login_form("用户名或密码错误。", 401, username)
        self.ip_limiter.reset(ip)
        # A new session: nothing from before sign-in survives (no session fixation), fresh tokens.
        session.clear()
        sid = secrets.token_urlsafe(32)
        with self.services.db.session() as s:
            s.add(
                DashboardSession(
                    id=session_key(sid),
                    user_id=account.id,
                    created_at=now,
                    last_active_at=now,
                    ip=ip[:64],
                    user_agent=(request.user_agent.string or "")[:300] or None,
                )
            )
        login_user(account)
        session.permanent = True
        session["sid"] = sid
        session["csrf"] = secrets.token_urlsafe(32)
        logger.info("%s signed in (%s)", account.username, account.role)
        response = redirect(safe_next(request.form.get("next")))
        response.set_cookie(
            CSRF_COOKIE,
            session["csrf"],
            httponly=False,
            samesite="Strict",
            secure=self.secure_cookies,
            path="/",
        )
        return response

    def logout_view(self) -> Response:
        account = current_account()
        sid = session.get("sid")
        if account is not None:
            self._audit(account.username, "user.logout", account.id, {"ip": _client_ip()})
        if isinstance(sid, str) and sid:
            with self.services.db.session() as s:
                row = s.get(DashboardSession, session_key(sid))
                if row is not None and row.ended_at is None:
                    row.ended_at = self.services.clock.now()
                    row.end_reason = "logout"
        logout_user()
        session.clear()
        response = redirect(LOGIN_PATH)
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response


def configure_server(server: Flask, settings: Settings) -> None:
    """Cookie and session settings of the Flask server."""
    server.config.update(
        SECRET_KEY=resolve_secret_key(settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: links from alert e-mails still carry the session
        SESSION_COOKIE_SECURE=settings.effective_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_timeout_minutes),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
