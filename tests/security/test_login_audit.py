"""A failed sign-in is audited without storing what was typed as an unknown user name: that is most often a
password typed into the wrong field."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from core.models import AuditLog
from tests.e2e.server import RunningDashboard


def _attempt(site: RunningDashboard, username: str, password: str) -> int:
    http = requests.Session()
    page = http.get(site.url("/login"), timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = http.post(
        site.url("/login"),
        data={"username": username, "password": password, "csrf_token": token.group(1), "next": "/"},
        allow_redirects=False,
        timeout=10,
    )
    return response.status_code


def test_unknown_user_name_is_not_stored_but_a_known_one_is(site: RunningDashboard) -> None:
    typed_password = "Tr0ub4dor&3-typed-as-name"
    assert _attempt(site, typed_password, "whatever") == 401
    assert _attempt(site, "duty", "wrong-password-1") == 401
    with site.db.session() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "user.login_failed")).all()
        stored = " ".join(f"{r.actor} {r.comment} {r.detail}" for r in rows)
        assert typed_password not in stored
        actors = [r.actor for r in rows]
    assert "(unknown user)" in actors and "duty" in actors
