"""Omnibus test helpers: infrastructure URLs, eventually(), token minting."""

from omnibus.testing.helpers import eventually, random_ref, unique_name

__all__ = ["eventually", "random_ref", "unique_name"]
