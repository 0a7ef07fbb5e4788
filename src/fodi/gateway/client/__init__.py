"""``fodi.gateway.client``: the async SDK of the FodiFood backend, usable on its own.

    async with BackendClient("http://127.0.0.1:3000/api") as backend:
        session = await backend.auth.login("admin@fodifood.local", "admin12345")
        admin = backend.as_user(session.token)
        print(await admin.admin.get_stats())

One pooled :class:`httpx.AsyncClient` serves every sub-client (and every ``as_user`` view);
failures are typed exceptions (:mod:`fodi.gateway.client.errors`).
"""

from __future__ import annotations

from types import TracebackType

import httpx

from fodi.gateway.client.admin import AdminClient
from fodi.gateway.client.auth import AuthClient
from fodi.gateway.client.errors import (
    BackendError,
    BackendUnavailable,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    Unauthorized,
)
from fodi.gateway.client.events import EventsClient
from fodi.gateway.client.models import (
    CreatedOrder,
    Event,
    Ingredient,
    IngredientMovement,
    LoginResponse,
    NewOrder,
    Order,
    OrderLine,
    Product,
    ProductInfo,
    RecentOrder,
    Stats,
    StatusUpdate,
    UserInfo,
    UserProfile,
    VerifyResult,
)
from fodi.gateway.client.orders import OrdersClient
from fodi.gateway.client.products import ProductsClient
from fodi.gateway.client.transport import RetryPolicy, Transport

__all__ = [
    "AdminClient",
    "AuthClient",
    "BackendClient",
    "BackendError",
    "BackendUnavailable",
    "Conflict",
    "CreatedOrder",
    "Event",
    "Forbidden",
    "Ingredient",
    "IngredientMovement",
    "InvalidRequest",
    "LoginResponse",
    "NewOrder",
    "NotFound",
    "Order",
    "OrderLine",
    "OrdersClient",
    "Product",
    "ProductInfo",
    "ProductsClient",
    "RateLimited",
    "RecentOrder",
    "RetryPolicy",
    "Stats",
    "StatusUpdate",
    "Unauthorized",
    "UserInfo",
    "UserProfile",
    "VerifyResult",
]


class BackendClient:
    """The facade: ``.auth``, ``.products``, ``.orders``, ``.admin`` and ``.events``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.1,
        max_connections: int = 100,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": "fodi-gateway-client"},
        )
        self._retry = RetryPolicy(attempts=retries + 1, backoff=backoff)
        transport_layer = Transport(self.http, self._retry)
        self.auth = AuthClient(transport_layer, token)
        self.products = ProductsClient(transport_layer, token)
        self.orders = OrdersClient(transport_layer, token)
        self.admin = AdminClient(transport_layer, token)
        self.events = EventsClient(self.http, token)

    def as_user(self, token: str | None) -> BackendClient:
        """A view acting with ``token`` that shares this client's connection pool."""
        view = BackendClient(
            self.base_url,
            token=token,
            http=self.http,
            retries=self._retry.attempts - 1,
            backoff=self._retry.backoff,
        )
        view.products = self.products  # share the menu cache; the menu is public
        return view

    async def health(self) -> bool:
        """Whether the backend answers (``GET {origin}/health``)."""
        origin = self.base_url.removesuffix("/api")
        try:
            response = await self.http.get(f"{origin}/health", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> BackendClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
