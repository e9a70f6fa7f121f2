"""Request bodies (identity.md §3), validated: a bad body is a 400 naming the field, and changes nothing."""

from datetime import UTC, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from omnibus.platform.http.types import parse_datetime

Name = Annotated[str, Field(min_length=1, max_length=150)]
OptionalText = Annotated[str | None, Field(default=None, max_length=150)]


class Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _roles(value: Any) -> Any:
    """``role`` as CSV or ``roles`` as an array (D26)."""
    if isinstance(value, str):
        return [r.strip() for r in value.split(",") if r.strip()]
    return value


Roles = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], BeforeValidator(_roles)]


class LoginBody(Tolerant):
    email: str | None = Field(default=None, max_length=254)
    username: str | None = Field(default=None, max_length=254, description="Alias of email (D21)")
    password: str = Field(min_length=1, max_length=1024)
    remember_me: bool = False

    @model_validator(mode="after")
    def _login_name(self) -> "LoginBody":
        if not (self.email or self.username):
            raise ValueError("email (or username) is required")
        return self

    @property
    def login(self) -> str:
        return (self.email or self.username or "").strip()


class RefreshBody(Tolerant):
    refresh_token: str | None = Field(default=None, max_length=512)


class ForgotPasswordBody(Tolerant):
    email: str = Field(min_length=1, max_length=254)


class ResetPasswordBody(Tolerant):
    token: str = Field(min_length=1, max_length=512)
    new_password: str = Field(max_length=1024)


class ChangePasswordBody(Tolerant):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class AdminResetBody(Strict):
    new_password: str = Field(max_length=1024)
    force_change: bool = False


class VerifyEmailBody(Tolerant):
    token: str | None = Field(default=None, max_length=512)
    user_id: int | None = None
    code: str | None = Field(default=None, max_length=12)

    @model_validator(mode="after")
    def _either(self) -> "VerifyEmailBody":
        if not self.token and not (self.user_id is not None and self.code):
            raise ValueError("send a token, or a user_id and a code")
        return self


class UserCreate(Strict):
    username: Name
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(max_length=1024)
    first_name: OptionalText = None
    middle_name: OptionalText = None
    last_name: OptionalText = None
    phone_number: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{3,31}$")
    role: Roles | None = None
    roles: Roles | None = None
    customer_id: int | None = Field(default=None, ge=1)
    contact_id: int | None = Field(default=None, ge=1)

    def role_names(self) -> list[str]:
        return list(self.roles or self.role or [])


class UserUpdate(Strict):
    username: Name | None = None
    email: str | None = Field(default=None, min_length=3, max_length=254)
    first_name: OptionalText = None
    middle_name: OptionalText = None
    last_name: OptionalText = None
    phone_number: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{3,31}$")
    role: Roles | None = None
    roles: Roles | None = None
    deleted: bool | None = None
    customer_id: int | None = Field(default=None, ge=1)
    contact_id: int | None = Field(default=None, ge=1)

    def role_names(self) -> list[str] | None:
        if "roles" in self.model_fields_set:
            return list(self.roles or [])
        if "role" in self.model_fields_set:
            return list(self.role or [])
        return None


class RoleBody(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    require_2fa: bool = Field(default=False, description="Members must enrol in 2FA first (D20)")


class RoleUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    require_2fa: bool | None = None


class RolePermissionsBody(Strict):
    permission_id: int | None = None
    permission_ids: list[int] | None = None

    @model_validator(mode="after")
    def _some(self) -> "RolePermissionsBody":
        if self.permission_id is None and not self.permission_ids:
            raise ValueError("permission_id or permission_ids is required")
        return self

    def ids(self) -> list[int]:
        return [*([self.permission_id] if self.permission_id is not None else []), *(self.permission_ids or [])]


class PermissionBody(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str | None = Field(default=None, max_length=500)


def _end_of_day(value: Any) -> Any:
    """API-key expiry: a date means the end of that day UTC (api-conventions §4); blank means never."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and len(value.strip()) == 10:
        day = parse_datetime(value).date()
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    return parse_datetime(value)


Expiry = Annotated[datetime | None, BeforeValidator(_end_of_day)]


def _networks(value: Any) -> Any:
    import ipaddress

    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("ips must be a list of addresses or CIDRs")
    return [str(ipaddress.ip_network(str(v).strip(), strict=False)) for v in value]


Networks = Annotated[list[str], BeforeValidator(_networks)]


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    expiry_date: Expiry = None
    permissions: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    ips: Networks = Field(default_factory=list)


class ApiKeyPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    expiry_date: Expiry = None
    permissions: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = None
    ips: Networks | None = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("name cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set}


class CodeBody(Tolerant):
    code: str = Field(min_length=6, max_length=12)


class PasswordBody(Tolerant):
    password: str | None = Field(default=None, max_length=1024)


class BackupCodeBody(Tolerant):
    backup_code: str = Field(min_length=8, max_length=12)


class ImpersonateBody(Tolerant):
    user_id: int = Field(ge=1)
