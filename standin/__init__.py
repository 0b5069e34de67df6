"""A local Discord stand-in (gateway + REST + CDN) for tests and `stylebot demo`; never used in production paths."""

__all__: list[str] = []
