"""Posts progress and results to Discord through discord.py's REST pieces (torch-free, no SQL)."""

__all__: list[str] = []
