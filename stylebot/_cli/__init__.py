"""Sub-command modules of the `stylebot` CLI (see stylebot/cli.py)."""

__all__: list[str] = []
