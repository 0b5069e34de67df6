"""The Discord bot: one extension (Cog) per feature in `bot/exts/` (no torch, no SQL)."""

__all__: list[str] = []
