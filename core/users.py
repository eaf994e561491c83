"""Users and passwords: hashing (scrypt through werkzeug), creation and verification."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.clock import Clock
from core.errors import InputError
from core.models import ROLES, AuditLog, User

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    email: str | None = None,
    actor: str = "system",
) -> User:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputError(f"user {username!r} exists already")
    now = clock.now()
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        email=email,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    session.add(
        AuditLog(
            at=now,
            actor=actor,
            action="user.create",
            object_type="user",
            object_id=str(user.id),
            detail={"username": username, "role": role},
        )
    )
    return user


def set_password(
    session: Session, clock: Clock, username: str, password: str, *, actor: str = "system"
) -> None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"no user {username!r}")
    now = clock.now()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    session.add(
        AuditLog(at=now, actor=actor, action="user.password", object_type="user", object_id=str(user.id))
    )
