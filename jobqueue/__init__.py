"""Durable style-transfer job queue: the only package with SQL (filled by the queue issue)."""

__all__: list[str] = []
