"""Settings precedence (flag > environment > settings.toml > default) and config error messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import load_config, load_settings

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("YUQING_"):
            monkeypatch.delenv(name)


def test_defaults(config_dir: Path) -> None:
    settings = load_settings({"config_dir": config_dir})
    assert settings.dashboard_port == 8050
    assert settings.effective_database_url == "sqlite:///var/yuqing.db"
    assert settings.mode == "development"


def test_file_beats_default(config_dir: Path) -> None:
    (config_dir / "settings.toml").write_text("dashboard_port = 9001\n", encoding="utf-8")
    assert load_settings({"config_dir": config_dir}).dashboard_port == 9001


def test_environment_beats_file(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (config_dir / "settings.toml").write_text("dashboard_port = 9001\n", encoding="utf-8")
    monkeypatch.setenv("YUQING_DASHBOARD_PORT", "9002")
    assert load_settings({"config_dir": config_dir}).dashboard_port == 9002


def test_flag_beats_environment(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_DATABASE_URL", "sqlite:///from-env.db")
    settings = load_settings({"config_dir": config_dir, "database_url": "sqlite:///from-flag.db"})
    assert settings.effective_database_url == "sqlite:///from-flag.db"


def test_config_dir_from_environment(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (config_dir / "settings.toml").write_text('office_name = "测试办公室"\n', encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(config_dir))
    assert load_settings().office_name == "测试办公室"


def test_secrets_never_print(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_SMTP_PASSWORD", "hunter2-secret")
    settings = load_settings({"config_dir": config_dir})
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "hunter2-secret"
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in str(settings.model_dump())


def test_repository_config_is_valid() -> None:
    config = load_config({"config_dir": REPO / "config"})
    assert len(config.topics.classes) == 15
    assert config.alerts.escalation


def _problems(config_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config({"config_dir": config_dir})
    return [str(p) for p in info.value.problems]


# (file, text to write, expected key path, expected words in the problem)
BROKEN = [
    ("alerts.yaml", "rules: []\nescalation: []\nbogus: 1\n", "bogus", "unknown key"),
    ("alerts.yaml", "rules: []\nescalation: []\n", "escalation", "at least one step"),
    (
        "alerts.yaml",
        "rules:\n  - {name: x, type: nonsense}\nescalation: [{role: a, recipients: [a@b], "
        "timeouts_minutes: {I: 5}}]\n",
        "rules[0:x].type",
        "Input should be",
    ),
    (
        "alerts.yaml",
        "rules: []\nescalation: [{role: a, recipients: [a@b], timeouts_minutes: {V: 5}}]\n",
        "escalation[0].timeouts_minutes",
        "unknown level",
    ),
    (
        "alerts.yaml",
        "rules: []\nescalation: [{role: a, recipients: [a@b], timeouts_minutes: {I: 5}}]\n"
        "quiet_hours: {hold_levels: [II]}\n",
        "quiet_hours.hold_levels",
        "never hold back level I or II",
    ),
    (
        "schemes.yaml",
        "schemes:\n  - name: s\n    groups: {事件: ['/[unclosed/']}\n",
        "schemes[0:s].groups",
        "does not compile",
    ),
    ("schemes.yaml", "schemes:\n  - name: s\n    groups: {}\n", "schemes[0:s].groups", "at least one group"),
    ("topics.yaml", "classes:\n  - {name: 外星事务}\n", "classes", "unknown topic class"),
    (
        "timers.yaml",
        "rules:\n  - {name: a, applies_to: board, unit: fortnights, amount: 1}\n",
        "rules[0:a].unit",
        "Input should be",
    ),
    (
        "timers.yaml",
        "rules:\n  - {name: a, applies_to: board, unit: hours, amount: -1}\n",
        "rules[0:a].amount",
        "greater than 0",
    ),
    (
        "departments.yaml",
        "departments:\n  - {code: a, name: A, parent: nope}\n",
        "departments[0:a].parent",
        "unknown parent",
    ),
    (
        "sources.yaml",
        "sources:\n  - {key: x, name: X, kind: board, type: html, url: 'http://127.0.0.1/'}\n",
        "sources[0:x]",
        "needs a 'board:' section",
    ),
    (
        "sources.yaml",
        "sources:\n  - {key: Bad Key, name: X, kind: news, type: feed, url: 'http://a/', "
        "news: {feed_url: 'http://a/rss'}}\n",
        "sources[0:Bad Key].key",
        "String should match pattern",
    ),
    (
        "sources.yaml",
        "sources:\n  - {key: x, name: X, kind: hotline, type: feed, url: 'http://a/'}\n",
        "sources[0:x]",
        "not available for kind",
    ),
    (
        "sources.yaml",
        "sources:\n  - {key: x, name: X, kind: hotline, type: json_api, url: 'http://a/', "
        "hotline: {fields: {title: t}}}\n",
        "sources[0:x].hotline.fields",
        "'external_id' is required",
    ),
    ("sources.yaml", "sources: [\n", "(top level)", "YAML syntax error at line"),
    ("sources.yaml", "- just\n- a list\n", "(top level)", "mapping of keys"),
]


@pytest.mark.parametrize(("filename", "text", "key", "words"), BROKEN)
def test_error_names_file_key_and_problem(
    config_dir: Path, filename: str, text: str, key: str, words: str
) -> None:
    (config_dir / filename).write_text(text, encoding="utf-8")
    problems = _problems(config_dir)
    expected_prefix = f"{config_dir / filename}: {key}"
    matching = [p for p in problems if p.startswith(expected_prefix)]
    assert matching, problems
    assert any(words in p for p in matching), matching


def test_missing_file_is_named(config_dir: Path) -> None:
    (config_dir / "timers.yaml").unlink()
    assert f"{config_dir / 'timers.yaml'}: (top level): file not found" in _problems(config_dir)


def test_every_problem_is_reported_not_just_the_first(config_dir: Path) -> None:
    (config_dir / "alerts.yaml").write_text("rules: []\nescalation: []\nbogus: 1\n", encoding="utf-8")
    (config_dir / "timers.yaml").write_text("rules: [{name: a}]\n", encoding="utf-8")
    problems = _problems(config_dir)
    assert any("alerts.yaml: bogus" in p for p in problems)
    assert any("alerts.yaml: escalation" in p for p in problems)
    assert any("timers.yaml: rules[0:a].applies_to" in p and "required key is missing" in p for p in problems)


def test_bad_environment_value_names_the_variable(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_DASHBOARD_PORT", "not-a-port")
    with pytest.raises(ConfigError) as info:
        load_settings({"config_dir": config_dir})
    assert str(info.value.problems[0]).startswith("environment: YUQING_DASHBOARD_PORT:")


def test_unknown_settings_key_is_an_error(config_dir: Path) -> None:
    (config_dir / "settings.toml").write_text("dashbord_port = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings({"config_dir": config_dir})
    assert (
        str(info.value.problems[0])
        == f"{config_dir / 'settings.toml'}: dashbord_port: unknown key (not allowed here)"
    )


def test_environment_references_in_yaml(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "sources:\n  - key: n\n    name: N\n    kind: news\n    type: feed\n"
        "    url: ${DEMO_BASE:-http://127.0.0.1:8765}/news/\n"
        "    news: {feed_url: '${DEMO_BASE:-http://127.0.0.1:8765}/news/rss.xml'}\n"
    )
    (config_dir / "sources.yaml").write_text(text, encoding="utf-8")
    assert load_config({"config_dir": config_dir}).sources.sources[0].url == "http://127.0.0.1:8765/news/"
    monkeypatch.setenv("DEMO_BASE", "http://127.0.0.1:9999")
    source = load_config({"config_dir": config_dir}).sources.sources[0]
    assert source.url == "http://127.0.0.1:9999/news/"
    assert source.news is not None and source.news.feed_url == "http://127.0.0.1:9999/news/rss.xml"


def test_unset_environment_reference_is_named(config_dir: Path) -> None:
    (config_dir / "departments.yaml").write_text(
        "departments:\n  - {code: a, name: A, email: '${NO_SUCH_VARIABLE_X}'}\n", encoding="utf-8"
    )
    assert any(
        p
        == f"{config_dir / 'departments.yaml'}: departments[0].email: environment variable NO_SUCH_VARIABLE_X is not set"
        for p in _problems(config_dir)
    )
