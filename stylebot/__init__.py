"""stylebot: entry points, settings and logging that wire engine/, jobqueue/, bot/ and delivery/ together.

This is the top of the import graph: library packages never import it; what they all need lives in `foundation`.
"""

__all__: list[str] = []
