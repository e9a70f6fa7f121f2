"""HTTP: the FastAPI app factory, the error shape and request context."""

from omnibus.platform.http.app import create_api
from omnibus.platform.http.errors import ApiError

__all__ = ["ApiError", "create_api"]
