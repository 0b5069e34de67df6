"""Container health check: GET /healthz on stylebot's metrics port(s). Stdlib only, so the image needs no curl.

    python healthcheck.py            every enabled role's port that answers must say 200, and at least one must answer
    python healthcheck.py bot        the bot's port (STYLEBOT_BOT_METRICS_PORT, default 9101) must say 200
    python healthcheck.py engine     the engine's port (STYLEBOT_ENGINE_METRICS_PORT, default 9102) must say 200

Exit 0 when healthy, 1 when not (Docker's HEALTHCHECK convention); one line on stdout says why.
A port set to 0 turns that role's metrics server off, and with it the check for that role.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

PORT_SETTINGS = {"bot": ("STYLEBOT_BOT_METRICS_PORT", 9101), "engine": ("STYLEBOT_ENGINE_METRICS_PORT", 9102)}
WILDCARDS = ("", "0.0.0.0", "::", "[::]")


def probe(host: str, port: int, timeout: float) -> int | None:
    """The HTTP status of /healthz, or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


def check(roles: Sequence[str], env: Mapping[str, str], timeout: float = 3.0) -> tuple[bool, str]:
    unknown = [role for role in roles if role not in PORT_SETTINGS]
    if unknown:
        return False, f"unknown role {unknown[0]!r}; use bot or engine"
    explicit = bool(roles)
    host = env.get("STYLEBOT_METRICS_HOST", "").strip()
    host = "127.0.0.1" if host in WILDCARDS else host
    results: dict[str, int | None] = {}
    for role in roles or list(PORT_SETTINGS):
        name, default = PORT_SETTINGS[role]
        port = int(env.get(name) or default)
        if port:
            results[f"{role}:{port}"] = probe(host, port, timeout)
    summary = ", ".join(f"{where}={status or 'no answer'}" for where, status in results.items())
    if not results:
        return True, "metrics servers are disabled (port 0); nothing to check"
    if explicit:
        healthy = all(status == 200 for status in results.values())
    else:
        answered = [status for status in results.values() if status is not None]
        healthy = bool(answered) and all(status == 200 for status in answered)
    return healthy, ("healthy: " if healthy else "unhealthy: ") + summary


def main(argv: Sequence[str] | None = None) -> int:
    healthy, line = check(list(sys.argv[1:] if argv is None else argv), os.environ)
    sys.stdout.write(line + "\n")
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
