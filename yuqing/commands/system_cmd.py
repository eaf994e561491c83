"""System commands: init, run, scheduler, config check, user management and export."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.catalog import sync_reference_data
from core.clock import SystemClock, ensure_utc
from core.errors import InputError
from core.migrate import upgrade
from core.models import ROLES, Item, ItemAnalysis, Source, User
from core.retention import backup_sqlite, prune_items
from core.users import create_user, generate_password, set_password
from yuqing.context import state

config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
user_app = typer.Typer(
    help="Dashboard users and roles (duty 值班员, leader 领导, admin 管理员).", no_args_is_help=True
)
export_app = typer.Typer(help="Export stored data.", no_args_is_help=True)
maintenance_app = typer.Typer(help="Backups and retention.", no_args_is_help=True)

DEMO_PASSWORD = "yuqing-demo"  # development mode only; production refuses to start without a real one
DEMO_USERS = (("admin", "admin", "系统管理员"), ("duty", "duty", "值班员"), ("leader", "leader", "分管领导"))


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
    app.add_typer(user_app, name="user")
    app.add_typer(export_app, name="export")
    app.add_typer(maintenance_app, name="maintenance")

    @maintenance_app.command("backup")
    def backup(
        ctx: typer.Context, out: Path = typer.Argument(..., help="File to write the copy to.")
    ) -> None:
        """A consistent copy of the live SQLite database (online backup; the system may keep running).
        For PostgreSQL use pg_dump (docs/deploy.md)."""
        db = state(ctx).database()
        if db.engine.dialect.name != "sqlite":
            typer.echo("error: the database is PostgreSQL; use pg_dump (see docs/deploy.md)", err=True)
            raise typer.Exit(2)
        out.parent.mkdir(parents=True, exist_ok=True)
        backup_sqlite(db, str(out))
        typer.echo(f"backup written to {out}")

    @maintenance_app.command("prune")
    def prune(
        ctx: typer.Context,
        days: int | None = typer.Option(
            None, help="Keep items fetched in the last DAYS days (default YUQING_RETENTION_DAYS)."
        ),
    ) -> None:
        """Delete raw items older than the retention period; events, alerts and hourly figures are kept, and
        items an open alert or running timer needs are never deleted."""
        settings = state(ctx).settings()
        keep = settings.retention_days if days is None else days
        if keep <= 0:
            typer.echo("retention is off (0 days): nothing deleted")
            return
        deleted = prune_items(state(ctx).database(), SystemClock(), keep)
        typer.echo(f"deleted {deleted} items older than {keep} days")

    @app.command("init")
    def init(
        ctx: typer.Context,
        demo_users: bool = typer.Option(
            False, "--demo-users", help="Also create duty and leader demo users."
        ),
    ) -> None:
        """Migrate the database, load sources and departments from config/, and create the first admin
        (password from YUQING_ADMIN_PASSWORD, or generated and printed once)."""
        config = state(ctx).config()
        db = state(ctx).database()
        upgrade(db.engine)
        clock = SystemClock()
        with db.session() as session:
            counts = sync_reference_data(session, config, clock)
            has_admin = session.scalar(select(User.id).where(User.role == "admin")) is not None
            created: list[tuple[str, str]] = []
            if not has_admin:
                secret = config.settings.admin_password
                password = (
                    secret.get_secret_value()
                    if secret
                    else (DEMO_PASSWORD if demo_users else generate_password())
                )
                create_user(
                    session,
                    clock,
                    username="admin",
                    password=password,
                    role="admin",
                    display_name="系统管理员",
                )
                if not secret:
                    created.append(("admin", password))
            if demo_users and config.settings.mode == "development":
                for username, role, display in DEMO_USERS[1:]:
                    if session.scalar(select(User.id).where(User.username == username)) is None:
                        create_user(
                            session,
                            clock,
                            username=username,
                            password=DEMO_PASSWORD,
                            role=role,
                            display_name=display,
                        )
                        created.append((username, DEMO_PASSWORD))
        typer.echo(f"数据库已就绪 database ready: {_safe_url(db.url)}")
        typer.echo(f"sources: {counts['sources']}, departments: {counts['departments']}")
        for username, password in created:
            typer.echo(
                f"created user {username} with password {password}  (shown once; change it with "
                f"`yuqing user passwd {username}`)"
            )

    @config_app.command("check")
    def config_check(ctx: typer.Context) -> None:
        """Validate settings and every YAML file in the config directory offline. Prints each problem with the
        file, the key and what is wrong, and exits with status 2 if there is any. Secrets are never shown."""
        config = state(ctx).config()
        s = config.settings
        typer.echo(f"配置正确 configuration OK: {s.config_dir}")
        typer.echo(f"  mode: {s.mode}; database: {_safe_url(s.effective_database_url)}")
        enabled = [src for src in config.sources.sources if src.enabled]
        typer.echo(f"  sources: {len(config.sources.sources)} ({len(enabled)} enabled)")
        typer.echo(f"  topics: {len(config.topics.classes)} classes, {len(config.topics.tags)} focus tags")
        typer.echo(
            f"  schemes: {len(config.schemes.schemes)}; alert rules: {len(config.alerts.rules)}; "
            f"escalation steps: {len(config.alerts.escalation)}"
        )
        typer.echo(
            f"  timer rules: {len(config.timers.rules)}; departments: {len(config.departments.departments)}"
        )
        typer.echo(
            f"  smtp: {s.smtp_host}:{s.smtp_port} ({s.smtp_security}); password "
            f"{'set' if s.smtp_password else 'not set'}"
        )

    @user_app.command("add")
    def user_add(
        ctx: typer.Context,
        username: str = typer.Argument(...),
        role: str = typer.Option(..., help=f"One of: {', '.join(ROLES)}."),
        display_name: str = typer.Option("", help="Name shown in the dashboard."),
        email: str | None = typer.Option(None),
        password_stdin: bool = typer.Option(False, help="Read the password from standard input."),
    ) -> None:
        """Create a user; the password is read from stdin or generated and printed once."""
        password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
        db = state(ctx).database()
        try:
            with db.session() as session:
                create_user(
                    session,
                    SystemClock(),
                    username=username,
                    password=password,
                    role=role,
                    display_name=display_name,
                    email=email,
                    actor="cli",
                )
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"created {username} ({role})" + ("" if password_stdin else f" with password {password}"))

    @user_app.command("passwd")
    def user_passwd(
        ctx: typer.Context,
        username: str = typer.Argument(...),
        password_stdin: bool = typer.Option(False, help="Read the new password from standard input."),
    ) -> None:
        """Set a new password (read from stdin, or generated and printed once) and unlock the account."""
        password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
        db = state(ctx).database()
        try:
            with db.session() as session:
                set_password(session, SystemClock(), username, password, actor="cli")
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"password of {username} changed" + ("" if password_stdin else f": {password}"))

    @user_app.command("list")
    def user_list(ctx: typer.Context) -> None:
        """List users with their roles."""
        db = state(ctx).database()
        with db.session() as session:
            for user in session.scalars(select(User).order_by(User.username)):
                flag = "" if user.active else " (disabled)"
                typer.echo(f"{user.username}\t{user.role}\t{user.display_name}{flag}")

    @export_app.command("items")
    def export_items(
        ctx: typer.Context,
        fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
        out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
    ) -> None:
        """Write every stored item with its source, kind, reply fields and analysis (unmasked: this is an
        administrator's export from the server, not a dashboard view)."""
        if fmt not in ("jsonl", "csv"):
            typer.echo("error: --format must be jsonl or csv", err=True)
            raise typer.Exit(2)
        db = state(ctx).database()
        handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            writer: Any = None
            count = 0
            with db.session() as session:
                rows = session.execute(
                    select(Item, Source.key, ItemAnalysis)
                    .join(Source, Source.id == Item.source_id)
                    .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
                    .order_by(Item.id)
                    .execution_options(yield_per=1000)
                )
                for item, source_key, analysis in rows:
                    record = _item_record(item, source_key, analysis)
                    if fmt == "jsonl":
                        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                    else:
                        if writer is None:
                            writer = csv.DictWriter(handle, fieldnames=list(record))
                            writer.writeheader()
                        writer.writerow(
                            {
                                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                                for k, v in record.items()
                            }
                        )
                    count += 1
        finally:
            if out:
                handle.close()
        typer.echo(f"exported {count} items", err=True)


def _iso(value: datetime | None) -> str | None:
    return ensure_utc(value).isoformat() if value else None


def _item_record(item: Item, source_key: str, analysis: ItemAnalysis | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": item.id,
        "source": source_key,
        "kind": item.kind,
        "external_id": item.external_id,
        "url": item.url,
        "title": item.title,
        "content": item.content,
        "author": item.author,
        "media": item.media,
        "published_at": _iso(item.published_at),
        "published_raw": item.published_raw,
        "fetched_at": _iso(item.fetched_at),
        "region": item.region,
        "addressee": item.addressee,
        "request_type": item.request_type,
        "department": item.department,
        "source_status": item.source_status,
        "reply_status": item.reply_status,
        "reply_at": _iso(item.reply_at),
        "reply_text": item.reply_text,
        "reply_department": item.reply_department,
        "revision": item.revision,
        "deleted": item.deleted_at is not None,
        "status": item.status,
        "event_id": item.event_id,
    }
    if analysis is not None:
        record.update(
            sentiment=analysis.sentiment,
            sentiment_score=analysis.sentiment_score,
            topic=analysis.topic,
            tags=analysis.tags,
            risk_score=analysis.risk_score,
            risk_level=analysis.risk_level,
            model_version=analysis.model_version,
        )
    return record


def _safe_url(url: str) -> str:
    """A database URL with any password hidden."""
    return make_url(url).render_as_string(hide_password=True)
