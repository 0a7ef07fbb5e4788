"""The accounts contract (seed-contracts §1.2–1.4): User, LoginResponse, verify, update-role."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from fodi.backend.schemas import ApiInput, ApiModel

Name = Field(min_length=1, max_length=100)


class UserOut(ApiModel):
    id: str
    email: str
    name: str
    role: str
    created_at: datetime


class RecentOrder(ApiModel):
    id: str
    status: str
    total: float
    created_at: datetime


class ProfileOut(UserOut):
    """The profile also carries recent orders, which the original web front end reads there."""

    orders: list[RecentOrder]


class RegisterIn(ApiInput):
    email: EmailStr = Field(max_length=254)
    name: str = Name
    password: str = Field(min_length=8, max_length=128)


class LoginIn(ApiInput):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class LoginOut(BaseModel):
    token: str
    user: UserOut


class VerifyIn(BaseModel):
    token: str = Field(max_length=4096)


class VerifyOut(BaseModel):
    """Always 200: ``{"valid": false}`` or the bearer's identity (snake_case, as the original)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"valid": False}]})

    valid: bool
    user_id: str | None = None
    role: str | None = None
    name: str | None = None
    email: str | None = None


class ProfileUpdate(ApiInput):
    """Empty or missing fields stay unchanged, as in the original."""

    name: str | None = Field(default=None, max_length=100)
    email: EmailStr | None = Field(default=None, max_length=254)

    @field_validator("name", "email", mode="before")
    @classmethod
    def _empty_means_unchanged(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class AdminUserUpdate(ProfileUpdate):
    role: str | None = None


class RoleUpdate(BaseModel):
    user_id: str = Field(min_length=1, max_length=36)
    role: str = Field(min_length=1, max_length=32)


class RoleUpdated(BaseModel):
    message: str
    user_id: str
    old_role: str
    new_role: str
    name: str
    email: str
    updated_by: str
