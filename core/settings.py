"""Typed settings and typed models of every YAML file in config/; `load_config()` validates them all at once.

Precedence: explicit overrides (CLI flags) > environment (`YUQING_` prefix) > config/settings.toml > defaults.
Every problem found is reported with the file, the key path and what is wrong (ConfigError), never a
traceback. Unknown keys are errors everywhere.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import ConfigError, ConfigProblem
from core.levels import Level

ENV_PREFIX = "YUQING_"
_Mapped = TypeVar("_Mapped", bound=Mapping[str, Any])
PACKAGE_ROOT = Path(__file__).resolve().parent.parent

TOPIC_CLASSES = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "卫生计生",
    "商贸旅游",
    "农村农业",
    "政法",
    "民政",
    "党务政务",
    "经济管理",
    "纪检监察",
    "国土资源",
    "科技与信息产业",
)


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)


# --- settings (settings.toml + environment) ------------------------------------------------------------


class Settings(BaseSettings):
    """Process-wide settings. Secrets have no defaults and are SecretStr, so they never print."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    mode: Literal["development", "production"] = "development"
    config_dir: Path = Field(default_factory=lambda: default_config_dir())
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: sqlite at <data_dir>/yuqing.db
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    office_name: str = "某市人民政府办公室"  # issuing office in reports and mail footers

    # dashboard
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=8050, ge=1, le=65535)
    base_url: str = ""  # public URL used in e-mail links; empty: http://<host>:<port>
    secret_key: SecretStr | None = None  # development generates and keeps one in <data_dir>/secret_key
    admin_password: SecretStr | None = None
    session_timeout_minutes: int = Field(default=120, ge=5)
    login_max_attempts: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    metrics_token: SecretStr | None = None

    # mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    mail_from: str = "yuqing@localhost"
    mail_catcher_port: int = Field(default=8025, ge=1, le=65535)

    # demo sources (used by `yuqing run` and `yuqing demo-sources`)
    demo_host: str = "127.0.0.1"
    demo_port: int = Field(default=8765, ge=1, le=65535)
    demo_seed: int = 7
    demo_speed: float = Field(default=60.0, gt=0)  # simulated seconds per real second
    demo_backfill_days: int = Field(default=14, ge=0)

    # scheduler and jobs
    crawl_timeout_seconds: int = Field(default=600, ge=5)
    analysis_interval_seconds: int = Field(default=30, ge=1)
    analysis_batch_size: int = Field(default=500, ge=1)
    alerts_interval_seconds: int = Field(default=30, ge=1)
    mail_interval_seconds: int = Field(default=15, ge=1)
    scheduler_lock_seconds: int = Field(default=60, ge=2)
    weekly_report_cron: str = "30 8 * * mon"  # crontab fields: minute hour day month day_of_week
    daily_brief_cron: str = "0 8 * * *"
    daily_brief_enabled: bool = True
    retention_days: int = Field(default=0, ge=0)  # delete raw items older than this; 0 keeps them forever
    sentiment_model_path: Path | None = None  # empty: the model shipped in analysis/models

    # several machines (docs/deploy.md): crawls go to these Scrapyd nodes (base URLs, JSON list in
    # YUQING_SCRAPYD_NODES) instead of local subprocesses; the stages listed in dedicated_workers are left
    # to `yuqing worker` processes and not run by the scheduler itself.
    scrapyd_nodes: list[str] = Field(default_factory=list)
    dedicated_workers: list[Literal["analysis", "mail"]] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init kwargs carry CLI flags and the values read from settings.toml; load_settings() merges
        # them so that a flag beats the environment and the environment beats the file.
        return (init_settings, env_settings)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'yuqing.db').as_posix()}"

    @property
    def effective_base_url(self) -> str:
        return self.base_url.rstrip("/") or f"http://{self.dashboard_host}:{self.dashboard_port}"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def mail_dir(self) -> Path:
        """Where the local mail catcher keeps what it receives."""
        return self.data_dir / "mail"


def default_config_dir() -> Path:
    env = os.environ.get(f"{ENV_PREFIX}CONFIG_DIR")
    if env:
        return Path(env)
    local = Path.cwd() / "config"
    if (local / "sources.yaml").exists():
        return local
    return PACKAGE_ROOT / "config"


# --- config/sources.yaml ---------------------------------------------------------------------------------


class Politeness(StrictModel):
    user_agent: str | None = None
    obey_robots: bool | None = None
    download_delay: float | None = Field(default=None, ge=0)
    concurrency_per_domain: int | None = Field(default=None, ge=1, le=64)
    autothrottle: bool | None = None
    download_timeout: float | None = Field(default=None, gt=0)
    retry_times: int | None = Field(default=None, ge=0, le=10)


class SourceDefaults(StrictModel):
    user_agent: str = "yuqing/0.1 (public-opinion monitoring; contact: admin@localhost)"
    obey_robots: bool = True
    download_delay: float = Field(default=0.5, ge=0)
    concurrency_per_domain: int = Field(default=4, ge=1, le=64)
    autothrottle: bool = True
    interval_minutes: float = Field(default=5, gt=0)
    timeout_seconds: int = Field(default=600, ge=5)
    max_pages: int = Field(default=50, ge=1)
    silent_after_hours: float = Field(default=24, gt=0)  # no new item for this long: source-health signal
    failures_before_alert: int = Field(default=3, ge=1)
    download_timeout: float = Field(default=30, gt=0)  # seconds per request, before Scrapy's retries
    retry_times: int = Field(default=2, ge=0, le=10)  # retries of 500/502/503/504/408/429 and timeouts
    store_batch_size: int = Field(default=200, ge=1, le=5000)  # items per database transaction
    revisit_batch: int = Field(default=500, ge=0)  # unanswered posts revisited per run, at most
    # Scrapy's HttpCacheMiddleware (RFC2616Policy, <data_dir>/httpcache) instead of the crawler's own
    # validators in seen_urls; off: bench/crawl.py measured it slower for the same revalidation.
    http_cache: bool = False


class FieldSelector(StrictModel):
    """How to pull one field from an HTML page: a CSS or XPath selector, an optional regex, a default."""

    css: str | None = None
    xpath: str | None = None
    regex: str | None = None  # applied to the extracted text; group 1 if present
    attr: str | None = None  # take this attribute instead of the text
    join: str = "\n"
    default: str | None = None

    @model_validator(mode="after")
    def _one_selector(self) -> FieldSelector:
        if not self.css and not self.xpath and self.default is None:
            raise ValueError("needs css or xpath (or a default)")
        if self.css and self.xpath:
            raise ValueError("give css or xpath, not both")
        # A selector typo is found by `yuqing config check`, not by the first crawl (imports kept local:
        # only source configs pay for them).
        from lxml import etree
        from parsel.csstranslator import HTMLTranslator

        try:
            query = HTMLTranslator().css_to_xpath(self.css) if self.css else self.xpath
            if query:
                etree.XPath(query, namespaces={"re": "http://exslt.org/regular-expressions",
                                               "set": "http://exslt.org/sets"})  # fmt: skip
        except Exception as exc:  # cssselect and lxml raise several error types for bad syntax
            kind, text = ("css", self.css) if self.css else ("xpath", self.xpath)
            raise ValueError(f"{kind} {text!r} is not a valid selector: {exc}") from None
        if self.regex:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from exc
        return self


class BoardListConfig(StrictModel):
    url: str
    item_links: FieldSelector  # links to detail pages (href of the selected <a> unless `attr` says otherwise)
    next_page: FieldSelector | None = None  # the "下一页" link
    page_param: str | None = None  # alternatively ?page=N
    page_start: int = 1  # the number of the first page, when page_param is used
    id_regex: str | None = None  # external id from the detail URL (group 1); else fields.external_id / URL

    @field_validator("id_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from exc
        return value


class BoardConfig(StrictModel):
    listing: BoardListConfig = Field(alias="list")  # `list:` in YAML
    fields: dict[str, FieldSelector]
    status_replied: list[str] = ["已回复", "已办结", "已答复"]
    encoding: str = "auto"  # auto | utf-8 | gbk | gb18030
    revisit_interval_minutes: float = Field(default=60, gt=0)
    revisit_max_age_days: float = Field(default=30, gt=0)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, FieldSelector]) -> dict[str, FieldSelector]:
        return check_item_fields(value, required=("title", "content"))


def check_item_fields(value: _Mapped, required: Sequence[str] = (), what: str = "field") -> _Mapped:
    """A mapping keyed by item field names: every key must be a known field, and the required ones present."""
    unknown = set(value) - ITEM_FIELDS
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}; known: {sorted(ITEM_FIELDS)}")
    for name in required:
        if name not in value:
            raise ValueError(f"{what} {name!r} is required")
    return value


class Pagination(StrictModel):
    style: Literal["page", "offset", "cursor"] = "page"
    page_param: str = "page"  # style page: ?page=N
    offset_param: str = "offset"  # style offset: ?offset=N&<size_param>=size
    size_param: str = "page_size"
    size: int = Field(default=50, ge=1, le=1000)
    start: int = 1  # the number of the first page (style page)
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"  # where the next cursor sits in the response


class HotlineApiConfig(StrictModel):
    items_path: str = "data"  # dotted path to the list of records ("" when the response is the list)
    total_path: str | None = None
    pagination: Pagination = Pagination()
    since_param: str | None = "updated_since"  # incremental by update time; null: stop at a known page
    # how the watermark is written in the URL: iso (+08:00), wall (local "YYYY-mm-dd HH:MM:SS"), epoch,
    # epoch_ms, or a strftime pattern in local time
    since_format: str = "iso"
    watermark_overlap_seconds: float = Field(default=300, ge=0)  # re-read this much before the watermark
    updated_field: str | None = None  # record key holding the update time (default: fields.updated_at)
    params: dict[str, str] = {}  # fixed query parameters
    status_replied: list[str] = ["已办结", "已回复", "已答复", "办结"]  # 状态 values meaning answered
    reply_at_from_updated: bool = False  # no reply time in the data: take the update time of a closed order
    fields: dict[str, str]  # item field -> record key (dotted for nested objects)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        return check_item_fields(value, required=("external_id",))


class FileImportConfig(StrictModel):
    columns: dict[str, str]  # item field -> column header
    sheet: str | None = None
    encoding: str = "utf-8-sig"
    status_replied: list[str] = ["已办结", "已回复", "已答复", "办结"]

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        return check_item_fields(value, required=("external_id",), what="column for")


class NewsConfig(StrictModel):
    feed_url: str | None = None
    listing: BoardListConfig | None = Field(default=None, alias="list")
    media: str | None = None
    extract: Literal["trafilatura", "selectors"] = "trafilatura"
    fetch_article: bool = True  # false: store the feed entry's summary as the content
    fields: dict[str, FieldSelector] = {}  # selectors that override what the extractor finds

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, FieldSelector]) -> dict[str, FieldSelector]:
        return check_item_fields(value)

    @model_validator(mode="after")
    def _feed_or_list(self) -> NewsConfig:
        if not self.feed_url and not self.listing:
            raise ValueError("needs feed_url or list")
        if self.extract == "selectors" and not {"title", "content"} <= set(self.fields):
            raise ValueError("extract: selectors needs fields.title and fields.content")
        return self


ITEM_FIELDS = frozenset(
    {
        "external_id",
        "url",
        "title",
        "content",
        "author",
        "published_at",
        "updated_at",
        "region",
        "addressee",
        "request_type",
        "department",
        "source_status",
        "reply_status",
        "reply_at",
        "reply_text",
        "reply_department",
        "media",
    }
)


class SourceConfig(StrictModel):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    name: str
    kind: Literal["hotline", "board", "news"]
    type: Literal["json_api", "open311", "file", "html", "feed"]
    url: str | None = None  # base URL, also used for robots.txt
    enabled: bool = True
    interval_minutes: float | None = Field(default=None, gt=0)
    timeout_seconds: int | None = Field(default=None, ge=5)
    max_pages: int | None = Field(default=None, ge=1)
    silent_after_hours: float | None = Field(default=None, gt=0)  # overrides defaults.silent_after_hours
    region: str | None = None  # default region for items that name none
    politeness: Politeness = Politeness()
    hotline: HotlineApiConfig | None = None
    file: FileImportConfig | None = None
    board: BoardConfig | None = None
    news: NewsConfig | None = None

    @model_validator(mode="after")
    def _kind_section(self) -> SourceConfig:
        needs = {
            ("hotline", "json_api"): "hotline",
            ("hotline", "file"): "file",
            ("board", "html"): "board",
            ("news", "feed"): "news",
            ("news", "html"): "news",
        }
        allowed = {("hotline", "open311")} | set(needs)
        if (self.kind, self.type) not in allowed:
            raise ValueError(f"type {self.type!r} is not available for kind {self.kind!r}")
        section = needs.get((self.kind, self.type))
        if section and getattr(self, section) is None:
            raise ValueError(f"a {self.kind} source of type {self.type!r} needs a '{section}:' section")
        if (self.kind, self.type) == ("news", "feed") and self.news is not None and not self.news.feed_url:
            raise ValueError("a news source of type 'feed' needs news.feed_url")
        if (self.kind, self.type) == ("news", "html") and self.news is not None and self.news.listing is None:
            raise ValueError("a news source of type 'html' needs news.list")
        if self.type != "file" and not self.url and not (self.news and self.news.feed_url):
            raise ValueError("url is required")
        return self


class SourcesFile(StrictModel):
    defaults: SourceDefaults = SourceDefaults()
    sources: list[SourceConfig] = []

    @field_validator("sources")
    @classmethod
    def _unique_keys(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for source in value:
            if source.key in seen:
                raise ValueError(f"duplicate source key {source.key!r}")
            seen.add(source.key)
        return value

    def get(self, key: str) -> SourceConfig:
        for source in self.sources:
            if source.key == key:
                return source
        raise KeyError(key)


# --- config/topics.yaml ----------------------------------------------------------------------------------


class TopicClass(StrictModel):
    name: str
    keywords: list[str] = []  # hints for the classifier and the demo; the model is trained separately


class FocusTag(StrictModel):
    name: str
    keywords: list[str]
    min_hits: int = Field(default=1, ge=1)


class TopicsFile(StrictModel):
    classes: list[TopicClass]
    tags: list[FocusTag] = []
    regions: list[str] = []  # districts of the city; used to find an item's region in its text

    @field_validator("classes")
    @classmethod
    def _fifteen_classes(cls, value: list[TopicClass]) -> list[TopicClass]:
        names = [c.name for c in value]
        unknown = [n for n in names if n not in TOPIC_CLASSES]
        if unknown:
            raise ValueError(f"unknown topic class(es) {unknown}; the classes are {list(TOPIC_CLASSES)}")
        return value


# --- config/schemes.yaml ---------------------------------------------------------------------------------


class Scheme(StrictModel):
    """A monitoring scheme (监测方案): every group must match one of its terms (AND of ORs)."""

    name: str
    groups: dict[str, list[str]]  # e.g. 主体: [...], 地域: [...], 事件: [...]
    exclude: list[str] = []
    always_alert: bool = False
    level: str = "III"  # the alert level when always_alert fires
    enabled: bool = True

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value:
            raise ValueError("at least one group of terms is needed")
        for group, terms in value.items():
            if not terms:
                raise ValueError(f"group {group!r} has no terms")
            for term in terms:
                _check_term(term)
        return value

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, value: list[str]) -> list[str]:
        for term in value:
            _check_term(term)
        return value

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        Level.parse(value)
        return value


def _check_term(term: str) -> None:
    if not term.strip():
        raise ValueError("empty term")
    if len(term) > 2 and term.startswith("/") and term.endswith("/"):
        try:
            re.compile(term[1:-1])
        except re.error as exc:
            raise ValueError(f"regex {term!r} does not compile: {exc}") from exc


class SchemesFile(StrictModel):
    schemes: list[Scheme] = []


# --- config/alerts.yaml ----------------------------------------------------------------------------------


class EscalationStep(StrictModel):
    role: str  # e.g. 值班员
    recipients: list[str]  # e-mail addresses
    # per level name (I, II, III, IV): minutes before moving on; a level left out stops at this step
    timeouts_minutes: dict[str, float]

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a step needs at least one recipient")
        for address in value:
            _check_address(address)
        return value

    @field_validator("timeouts_minutes")
    @classmethod
    def _levels(cls, value: dict[str, float]) -> dict[str, float]:
        for name, minutes in value.items():
            Level.parse(name)
            if minutes <= 0:
                raise ValueError(f"timeout for level {name} must be positive")
        return value


class AlertRule(StrictModel):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    type: Literal["event_risk", "burst", "scheme", "source_health", "timer"]
    min_level: str = "IV"
    level: str | None = None  # fixed level for rules that have no risk level of their own
    enabled: bool = True
    timer_state: Literal["warning", "overdue"] = "overdue"  # timer rules: fire at 黄灯 or at 红灯
    timer_rules: list[str] = []  # timer rules: only these timers.yaml rules (empty: every timer)

    @field_validator("min_level", "level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is not None:
            Level.parse(value)
        return value


class QuietHours(StrictModel):
    start: time = time(22, 0)
    end: time = time(7, 0)
    hold_levels: list[str] = ["IV"]  # only IV may be held back; I and II never

    @field_validator("hold_levels")
    @classmethod
    def _never_high(cls, value: list[str]) -> list[str]:
        for name in value:
            if Level.parse(name) >= Level.II:
                raise ValueError("quiet hours may never hold back level I or II")
        return value


class LeaderSubscription(StrictModel):
    email: str
    name: str = ""
    immediate_levels: list[str] = ["I", "II"]  # others go into the digest
    digest: bool = True

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        _check_address(value)
        return value

    @field_validator("immediate_levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        for name in value:
            Level.parse(name)
        return value


def _check_address(address: str) -> None:
    local, _, domain = address.partition("@")
    if not local or not domain or " " in address:
        raise ValueError(f"{address!r} is not an e-mail address")


class AlertsFile(StrictModel):
    rules: list[AlertRule]
    escalation: list[EscalationStep]
    group_wait_seconds: float = Field(default=30, ge=0)
    # Levels whose first mail waits group_wait_seconds (so a growing event sends one mail); the others are
    # mailed in the pass that opens them.
    group_wait_levels: list[str] = ["I", "II", "III", "IV"]
    repeat_interval_minutes: float = Field(default=240, gt=0)
    max_escalation_repeats: int = Field(default=3, ge=0)
    quiet_hours: QuietHours | None = None
    leaders: list[LeaderSubscription] = []
    digest_cron: str = "0 8 * * *"
    source_silent_level: str = "IV"
    # evidence (event activity, bursts, scheme hits) older than this never opens a new alert
    lookback_hours: float = Field(default=48, gt=0)

    @field_validator("group_wait_levels")
    @classmethod
    def _wait_levels(cls, value: list[str]) -> list[str]:
        for name in value:
            if Level.parse(name) is Level.NONE:
                raise ValueError("group_wait_levels takes I, II, III or IV")
        return value

    @field_validator("escalation")
    @classmethod
    def _chain(cls, value: list[EscalationStep]) -> list[EscalationStep]:
        if not value:
            raise ValueError("the escalation chain needs at least one step")
        return value


# --- config/timers.yaml ----------------------------------------------------------------------------------


class TimerRule(StrictModel):
    """One response limit. Items get the first rule (in file order) that fits their kind and request type;
    events get every rule at or below their level, but only the first of each `group`."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    applies_to: Literal["hotline", "board", "event"]
    request_types: list[str] = []  # empty: every request type
    min_level: str | None = None  # for events: only at or above this level
    unit: Literal["hours", "working_hours", "working_days", "natural_days"]
    amount: float = Field(gt=0)
    max_extension: float = Field(default=0, ge=0)  # in the same unit; e.g. up to 15 working days in all
    warn_at_share: float | None = Field(default=None, gt=0, lt=1)
    group: str | None = None  # event rules sharing a group: the first that applies wins (e.g. 24 h for I)
    label: str = ""  # shown to people, e.g. 首次权威信息发布

    @field_validator("min_level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is not None:
            Level.parse(value)
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> TimerRule:
        if self.applies_to == "event":
            if self.request_types:
                raise ValueError("request_types only apply to hotline and board rules")
            if self.min_level is None:
                raise ValueError("an event rule needs min_level")
        elif self.min_level is not None:
            raise ValueError("min_level only applies to event rules")
        return self


class WorkingHours(StrictModel):
    start: time = time(9, 0)
    end: time = time(17, 30)
    lunch_start: time | None = time(12, 0)
    lunch_end: time | None = time(13, 30)


class TimersFile(StrictModel):
    working_hours: WorkingHours = WorkingHours()
    warn_at_share: float = Field(default=0.8, gt=0, lt=1)
    remind_every_hours: float = Field(default=24, gt=0)
    pause_states: list[str] = ["待补充材料", "挂起"]
    # items published longer ago than this when first seen get no timer (a backfill is history, not work)
    max_age_days: float = Field(default=14, gt=0)
    # events whose last activity is older than this get no new timer
    event_lookback_hours: float = Field(default=48, gt=0)
    rules: list[TimerRule]


# --- config/departments.yaml -----------------------------------------------------------------------------


class DepartmentConfig(StrictModel):
    code: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    email: str | None = None
    parent: str | None = None
    aliases: list[str] = []


class DepartmentsFile(StrictModel):
    departments: list[DepartmentConfig]


# --- loading ---------------------------------------------------------------------------------------------

YAML_FILES: dict[str, type[StrictModel]] = {
    "sources.yaml": SourcesFile,
    "topics.yaml": TopicsFile,
    "schemes.yaml": SchemesFile,
    "alerts.yaml": AlertsFile,
    "timers.yaml": TimersFile,
    "departments.yaml": DepartmentsFile,
}


@dataclass(frozen=True)
class AppConfig:
    """Everything configurable, validated once at a composition root and passed down explicitly."""

    settings: Settings
    sources: SourcesFile
    topics: TopicsFile
    schemes: SchemesFile
    alerts: AlertsFile
    timers: TimersFile
    departments: DepartmentsFile


def _loc_to_key(loc: Sequence[int | str], data: Any = None) -> str:
    """('sources', 2, 'board', 'list') -> 'sources[2].board.list' (with the source key when known)."""
    parts: list[str] = []
    node = data
    for element in loc:
        if isinstance(element, int):
            label = f"[{element}]"
            if isinstance(node, list) and 0 <= element < len(node):
                item = node[element]
                if isinstance(item, dict) and isinstance(item.get("key") or item.get("name"), str):
                    label = f"[{element}:{item.get('key') or item.get('name')}]"
                node = item
            else:
                node = None
            parts.append(label)
        else:
            # pydantic adds the model/validator name for unions and function validators; skip those
            if element.startswith("function-") or element in {"[key]"}:
                continue
            node = node.get(element) if isinstance(node, dict) else None
            parts.append(("." if parts else "") + element)
    return "".join(parts)


def problems_from_validation(file: str, exc: ValidationError, data: Any = None) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        key = _loc_to_key(err["loc"], data)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (not allowed here)"
        elif err["type"] == "missing":
            message = "required key is missing"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append(ConfigProblem(file, key, message))
    return problems


def _read_yaml(path: Path) -> tuple[Any, list[ConfigProblem]]:
    if not path.exists():
        return None, [ConfigProblem(str(path), "", "file not found")]
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh), []
    except UnicodeDecodeError as exc:
        return None, [ConfigProblem(str(path), "", f"not UTF-8 text: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [ConfigProblem(str(path), "", f"YAML syntax error at {where}{problem}")]


_ENV_REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")


def interpolate_env(data: Any, file: str, key: str = "") -> tuple[Any, list[ConfigProblem]]:
    """Replace ${NAME} and ${NAME:-default} in string values with the environment's value, so that one
    config/ directory serves several hosts (e.g. `url: ${YUQING_DEMO_URL:-http://127.0.0.1:8765}/board`)."""
    problems: list[ConfigProblem] = []
    if isinstance(data, str):

        def substitute(match: re.Match[str]) -> str:
            value = os.environ.get(match.group(1))
            if value is not None:
                return value
            if match.group(2) is not None:
                return match.group(2)
            problems.append(ConfigProblem(file, key, f"environment variable {match.group(1)} is not set"))
            return match.group(0)

        return _ENV_REFERENCE.sub(substitute, data), problems
    if isinstance(data, dict):
        out = {}
        for name, value in data.items():
            out[name], sub = interpolate_env(value, file, f"{key}.{name}" if key else str(name))
            problems.extend(sub)
        return out, problems
    if isinstance(data, list):
        items = []
        for index, value in enumerate(data):
            item, sub = interpolate_env(value, file, f"{key}[{index}]")
            items.append(item)
            problems.extend(sub)
        return items, problems
    return data, problems


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings alone (no YAML). Flags in `overrides` beat the environment, which beats settings.toml."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    config_dir = Path(overrides.get("config_dir") or default_config_dir())
    toml_path = config_dir / "settings.toml"
    file_values: dict[str, Any] = {}
    if toml_path.exists():
        try:
            file_values = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError([ConfigProblem(str(toml_path), "", f"TOML syntax error: {exc}")]) from exc
    env_names = {k[len(ENV_PREFIX) :].lower() for k in os.environ if k.startswith(ENV_PREFIX)}
    # The file only fills what neither a flag nor the environment sets.
    merged = {k: v for k, v in file_values.items() if k not in env_names}
    merged.update(overrides)
    merged.setdefault("config_dir", config_dir)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        problems = []
        for problem in problems_from_validation(str(toml_path), exc, merged):
            name = problem.key.split(".")[0].split("[")[0]
            if name in overrides:
                problems.append(ConfigProblem("command line", f"--{name.replace('_', '-')}", problem.problem))
            elif name in env_names:
                problems.append(ConfigProblem("environment", ENV_PREFIX + name.upper(), problem.problem))
            else:
                problems.append(problem)
        raise ConfigError(problems) from None


def load_config(overrides: Mapping[str, Any] | None = None, *, settings: Settings | None = None) -> AppConfig:
    """Load and validate settings and every YAML file; raise one ConfigError listing every problem."""
    problems: list[ConfigProblem] = []
    if settings is None:
        try:
            settings = load_settings(overrides)
        except ConfigError as exc:
            problems.extend(exc.problems)
            settings = None
    config_dir = (
        settings.config_dir if settings else Path((overrides or {}).get("config_dir") or default_config_dir())
    )
    loaded: dict[str, Any] = {}
    for filename, model in YAML_FILES.items():
        path = config_dir / filename
        data, file_problems = _read_yaml(path)
        if file_problems:
            problems.extend(file_problems)
            continue
        if data is None:
            data = {}
        if not isinstance(data, dict):
            problems.append(
                ConfigProblem(str(path), "", "the file must hold a mapping of keys at the top level")
            )
            continue
        data, env_problems = interpolate_env(data, str(path))
        if env_problems:
            problems.extend(env_problems)
            continue
        try:
            loaded[filename] = model.model_validate(data)
        except ValidationError as exc:
            problems.extend(problems_from_validation(str(path), exc, data))
    if not problems:
        problems.extend(_cross_checks(config_dir, loaded))
    if problems or settings is None:
        raise ConfigError(problems)
    return AppConfig(
        settings=settings,
        sources=loaded["sources.yaml"],
        topics=loaded["topics.yaml"],
        schemes=loaded["schemes.yaml"],
        alerts=loaded["alerts.yaml"],
        timers=loaded["timers.yaml"],
        departments=loaded["departments.yaml"],
    )


def _cross_checks(config_dir: Path, loaded: dict[str, Any]) -> list[ConfigProblem]:
    """Checks that span files, e.g. a scheme level or a timer rule referring to something defined elsewhere."""
    problems: list[ConfigProblem] = []
    timers: TimersFile = loaded["timers.yaml"]
    names = [r.name for r in timers.rules]
    for i, name in enumerate(names):
        if names.index(name) != i:
            problems.append(
                ConfigProblem(str(config_dir / "timers.yaml"), f"rules[{i}:{name}]", "duplicate rule name")
            )
    departments: DepartmentsFile = loaded["departments.yaml"]
    codes = [d.code for d in departments.departments]
    for i, dept in enumerate(departments.departments):
        where = f"departments[{i}:{dept.code}]"
        if codes.index(dept.code) != i:
            problems.append(
                ConfigProblem(str(config_dir / "departments.yaml"), where + ".code", "duplicate code")
            )
        if dept.parent and dept.parent not in codes:
            problems.append(
                ConfigProblem(
                    str(config_dir / "departments.yaml"), where + ".parent", f"unknown parent {dept.parent!r}"
                )
            )
    alerts: AlertsFile = loaded["alerts.yaml"]
    rule_names = [r.name for r in alerts.rules]
    for i, name in enumerate(rule_names):
        if rule_names.index(name) != i:
            problems.append(
                ConfigProblem(str(config_dir / "alerts.yaml"), f"rules[{i}:{name}]", "duplicate rule name")
            )
    for i, rule in enumerate(alerts.rules):
        for unknown in [t for t in rule.timer_rules if t not in names]:
            problems.append(
                ConfigProblem(
                    str(config_dir / "alerts.yaml"),
                    f"rules[{i}:{rule.name}].timer_rules",
                    f"no timer rule named {unknown!r} in timers.yaml",
                )
            )
    return problems
