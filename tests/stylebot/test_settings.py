from __future__ import annotations

from pathlib import Path

import pytest

from stylebot.errors import UsageError
from stylebot.logs import redact, register_secret
from stylebot.settings import SETTINGS_DOC, Settings


def test_defaults_need_no_environment() -> None:
    s = Settings.from_env({}, dotenv=None)
    assert s.discord_token is None
    assert s.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert "cdn.discordapp.com" in s.attachment_hosts


def test_env_overrides_dotenv_and_parses_types(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nexport STYLEBOT_MAX_SIZE=640\nSTYLEBOT_ATTACHMENT_HOSTS='127.0.0.1, Example.org'\n")
    s = Settings.from_env({"STYLEBOT_MAX_SIZE": "800"}, dotenv=dotenv)
    assert s.max_size == 800
    assert s.attachment_hosts == ("127.0.0.1", "example.org")


def test_bad_number_names_the_variable() -> None:
    with pytest.raises(UsageError, match="STYLEBOT_MAX_SIZE"):
        Settings.from_env({"STYLEBOT_MAX_SIZE": "big"}, dotenv=None)


def test_token_is_not_in_repr_and_is_redacted_from_logs() -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
    s = Settings.from_env({"DISCORD_TOKEN": token}, dotenv=None)
    assert token not in repr(s)
    register_secret(token)
    assert token not in redact(f"login failed with {token}")
    assert "***" in redact("POST /webhooks/123/aW50ZXJhY3Rpb246MTIzNDU2Nzg5OnRva2Vu?wait=true")


def test_every_setting_is_documented() -> None:
    names = [name for name, _, _ in SETTINGS_DOC]
    assert len(names) == len(set(names))
    assert all(doc for _, _, doc in SETTINGS_DOC)


def test_default_preset_and_instant_model_folder() -> None:
    s = Settings.from_env({"STYLEBOT_DEFAULT_PRESET": "instant", "STYLEBOT_INSTANT_MODEL_DIR": "/models"}, dotenv=None)
    assert (s.default_preset, s.instant_model_dir) == ("instant", "/models")
    assert Settings.from_env({}, dotenv=None).instant_model_dir is None  # the installed package's models
    with pytest.raises(UsageError, match="STYLEBOT_DEFAULT_PRESET='slow' is not a preset"):
        Settings.from_env({"STYLEBOT_DEFAULT_PRESET": "slow"}, dotenv=None)
