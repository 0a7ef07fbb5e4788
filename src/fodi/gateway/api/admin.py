"""Admin endpoints: stats, orders, users, natural-language commands, and ``/notify``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from fodi.core.errors import problem_responses
from fodi.gateway.api.deps import AdminCallerDep, BackendDep, HubDep, StaffCallerDep
from fodi.gateway.assistant.admin import AdminAssistant
from fodi.gateway.client import Order

router = APIRouter()
ADMIN_ERRORS = problem_responses(401, 403, 503)
ORDER_FIELDS = ("id", "userId", "status", "total", "address", "phone", "comment", "createdAt")


def _order_response(order: Order) -> dict[str, Any]:
    data = order.to_json()
    shaped = {key: data.get(key) for key in ORDER_FIELDS}
    shaped["items"] = [
        {key: item.get(key) for key in ("id", "productId", "quantity", "price", "product")}
        for item in data.get("items", [])
    ]
    return shaped


@router.get("/api/v1/admin/stats", responses=ADMIN_ERRORS)
async def stats(caller: AdminCallerDep, backend: BackendDep) -> dict[str, Any]:
    return (await backend.as_user(caller.token).admin.get_stats()).to_json()


@router.get("/api/v1/admin/orders", responses=ADMIN_ERRORS)
async def all_orders(caller: AdminCallerDep, backend: BackendDep) -> list[dict[str, Any]]:
    orders = await backend.as_user(caller.token).orders.get_all_orders_admin()
    return [_order_response(o) for o in orders]


@router.get("/api/v1/admin/orders/recent", responses=ADMIN_ERRORS)
async def recent_orders(caller: AdminCallerDep, backend: BackendDep) -> list[dict[str, Any]]:
    rows = await backend.as_user(caller.token).orders.get_recent_orders_admin()
    return [
        _order_response(Order(id=r.id, status=r.status, total=r.total, created_at=r.created_at))
        | {"userEmail": r.user_email}
        for r in rows
    ]


@router.get("/api/v1/admin/users", responses=ADMIN_ERRORS)
async def users(caller: AdminCallerDep, backend: BackendDep) -> list[dict[str, Any]]:
    found = await backend.as_user(caller.token).auth.get_users()
    return [
        {key: u.to_json().get(key) for key in ("id", "email", "name", "role", "createdAt")}
        for u in found
    ]


class CommandBody(BaseModel):
    command: str = Field(min_length=1, max_length=2000)


@router.post("/api/v1/admin/command", responses=problem_responses(400, 401, 403))
async def admin_command(
    body: CommandBody, request: Request, _caller: AdminCallerDep, hub: HubDep
) -> dict[str, str]:
    assistant = AdminAssistant(
        getattr(request.app.state, "supervisor", None),
        connections=lambda: len(hub),
        llm_configured=getattr(request.app.state, "llm", None) is not None,
    )
    return (await assistant.handle(body.command)).to_json()


class NotifyBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    event: str = Field(min_length=1, max_length=100)


@router.post("/notify", responses=problem_responses(400, 401, 403))
async def notify(body: NotifyBody, _caller: StaffCallerDep, hub: HubDep) -> dict[str, Any]:
    """The original's push endpoint: ``{event, ...data}`` to the WebSocket clients concerned.

    Unlike the original it needs a staff token: anyone could otherwise push fake order news.
    """
    data = dict(body.model_extra or {})
    frame = {"type": "notification", "event": body.event, "data": data, "id": None}
    if body.event == "new_order":
        hub.send_to(hub.staff(), frame)
        return {"success": True, "message": "Notification sent"}
    if body.event == "order_status_changed":
        user_id = data.get("user_id") or data.get("userId")
        if not isinstance(user_id, str) or not user_id:
            return {"success": False, "message": "user_id is required"}
        sent = hub.send_to(hub.of_user(user_id), frame)
        return {"success": True, "message": f"Notification sent to {sent} connection(s)"}
    if body.event == "low_inventory":
        hub.send_to(hub.staff(), frame)
        return {"success": True, "message": "Alert sent to admins"}
    return {"success": True, "message": "Event received but not processed"}
