"""Errors of the identity context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class IdentityError(Exception):
    http_status = 400
    code = "identity_error"


class NotFoundError(IdentityError):
    http_status = 404
    code = "not_found"


class UserNotFoundError(NotFoundError):
    code = "user_not_found"

    def __init__(self, user_id: int | str) -> None:
        super().__init__(f"User {user_id} not found")


class RoleNotFoundError(NotFoundError):
    code = "role_not_found"

    def __init__(self, role: int | str) -> None:
        super().__init__(f"Role {role} not found")


class PermissionNotFoundError(NotFoundError):
    code = "permission_not_found"

    def __init__(self, permission: int | str) -> None:
        super().__init__(f"Permission {permission} not found")


class ApiKeyNotFoundError(NotFoundError):
    code = "api_key_not_found"

    def __init__(self, api_key_id: int) -> None:
        super().__init__(f"API key {api_key_id} not found")


class ConflictError(IdentityError):
    http_status = 409
    code = "conflict"


class InvalidInputError(IdentityError):
    code = "invalid_input"


class WeakPasswordError(IdentityError):
    code = "weak_password"


class InvalidCredentialsError(IdentityError):
    """401 with the same message whatever was wrong (unknown e-mail, wrong password, deleted user)."""

    http_status = 401
    code = "invalid_credentials"

    def __init__(self, message: str = "Invalid e-mail or password") -> None:
        super().__init__(message)


class InvalidTokenError(IdentityError):
    """400: a reset or verification token that is unknown, expired or already used."""

    code = "invalid_token"


class InvalidCodeError(IdentityError):
    http_status = 401
    code = "invalid_code"

    def __init__(self, message: str = "Invalid or expired code") -> None:
        super().__init__(message)


class TooManyAttemptsError(IdentityError):
    """429: throttled or locked out; says nothing about whether the account exists."""

    http_status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many attempts; try again later")
        self.retry_after = retry_after
        self.details = {"retry_after": retry_after}


class ForbiddenError(IdentityError):
    http_status = 403
    code = "forbidden"
