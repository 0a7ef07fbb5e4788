"""Accounts through HTTP: register, login, verify, profile, and the admin's user management."""

from __future__ import annotations

import httpx

from fodi.core.security import hash_password
from tests.backend.helpers import auth, signed_up
from tests.support import bearer


async def test_register_login_verify_and_profile(client: httpx.AsyncClient) -> None:
    registered = await client.post(
        "/api/auth/register",
        json={"email": "Anna@Example.com", "name": "Анна", "password": "s3cret-pass"},
    )
    assert registered.status_code == 200
    user = registered.json()["user"]
    assert set(user) == {"id", "email", "name", "role", "createdAt"}
    assert (user["email"], user["role"]) == ("anna@example.com", "user")

    duplicate = await client.post(
        "/api/auth/register",
        json={"email": "anna@example.com", "name": "Другая", "password": "another-pass"},
    )
    assert (duplicate.status_code, duplicate.json()["error"]) == (409, "User already exists")

    wrong = await client.post(
        "/api/auth/login", json={"email": "anna@example.com", "password": "nope-nope"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "Invalid credentials")
    nobody = await client.post(
        "/api/auth/login", json={"email": "ghost@example.com", "password": "nope-nope"}
    )
    assert (nobody.status_code, nobody.json()["error"]) == (401, "Invalid credentials")

    login = await client.post(
        "/api/auth/login", json={"email": "ANNA@example.com", "password": "s3cret-pass"}
    )
    assert login.status_code == 200
    token = login.json()["token"]

    verified = await client.post("/api/auth/verify", json={"token": token})
    assert verified.json() == {
        "valid": True,
        "user_id": user["id"],
        "role": "user",
        "name": "Анна",
        "email": "anna@example.com",
    }
    assert (await client.post("/api/auth/verify", json={"token": "junk"})).json() == {
        "valid": False
    }
    bad_json = await client.post(
        "/api/auth/verify", content=b"{", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400

    headers = {"Authorization": f"Bearer {token}"}
    profile = await client.get("/api/user/profile", headers=headers)
    assert profile.json()["orders"] == []
    assert profile.json()["email"] == "anna@example.com"
    renamed = await client.put(
        "/api/user/profile", json={"name": "Анна К.", "email": ""}, headers=headers
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["email"]) == ("Анна К.", "anna@example.com")
    assert (await client.get("/api/user/profile")).status_code == 401


async def test_registration_validates_input(client: httpx.AsyncClient) -> None:
    for body in (
        {"email": "not-an-email", "name": "X", "password": "long-enough"},
        {"email": "a@example.com", "name": "X", "password": "short"},
        {"email": "a@example.com", "password": "long-enough"},
    ):
        response = await client.post("/api/auth/register", json=body)
        assert response.status_code == 400, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_passwords_are_stored_as_argon2id(client: httpx.AsyncClient, db: object) -> None:
    from sqlalchemy import select

    from fodi.backend.users.models import User
    from fodi.core.db import Database

    assert isinstance(db, Database)
    person = await signed_up(client)
    async with db.session() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == person["id"]))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert hash_password("x") != stored


async def test_admin_manages_users(client: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    person = await signed_up(client)
    forbidden = await client.get("/api/admin/users", headers=auth(person))
    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "Admin access required")

    listed = await admin.get("/api/admin/users")
    assert person["id"] in {u["id"] for u in listed.json()}
    assert int(listed.headers["X-Total-Count"]) >= 1

    promoted = await admin.patch(
        "/api/admin/users/update-role", json={"user_id": person["id"], "role": "manager"}
    )
    assert promoted.status_code == 200
    body = promoted.json()
    assert body["message"] == "✅ User role updated successfully"
    assert (body["old_role"], body["new_role"], body["updated_by"]) == (
        "user",
        "manager",
        "boss@example.com",
    )
    invalid = await admin.patch(
        "/api/admin/users/update-role", json={"user_id": person["id"], "role": "emperor"}
    )
    assert invalid.status_code == 400

    updated = await admin.put(f"/api/admin/users/{person['id']}", json={"name": "Новое имя"})
    assert (updated.status_code, updated.json()["name"]) == (200, "Новое имя")
    assert updated.json()["role"] == "manager"

    gone = await admin.delete(f"/api/admin/users/{person['id']}")
    assert gone.json() == {"message": "User deleted successfully"}
    assert (await admin.delete(f"/api/admin/users/{person['id']}")).status_code == 404
    assert (await admin.put("/api/admin/users/nope", json={"name": "x"})).status_code == 404


async def test_the_last_admin_keeps_the_role(client: httpx.AsyncClient) -> None:
    from sqlalchemy import update

    person = await signed_up(client)
    boss = bearer("x", role="admin")
    await client.patch(
        "/api/admin/users/update-role",
        json={"user_id": person["id"], "role": "admin"},
        headers=boss,
    )
    _ = update  # the suite's database may hold other admins only in other tests' transactions
    demote = await client.patch(
        "/api/admin/users/update-role",
        json={"user_id": person["id"], "role": "user"},
        headers=boss,
    )
    assert demote.status_code == 409
    assert "last admin" in demote.json()["error"]
