"""stylebot: entry points, settings and logging that wire engine/, jobqueue/, bot/ and delivery/ together.

Nothing is imported here, so `stylebot.errors` stays importable from every package without pulling anything heavy.
"""

__all__: list[str] = []
