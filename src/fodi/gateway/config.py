"""The gateway service's settings section (environment: ``GATEWAY__NAME``).

The backend's address is the seed's flat ``GO_BACKEND_URL`` (it includes ``/api``); when it is
not set the gateway talks to the backend it supervises at ``BACKEND__HOST``/``BACKEND__PORT``.
"""

from __future__ import annotations

from fodi.core.sections import ServiceSection


class GatewaySettings(ServiceSection):
    port: int = 8000
    # The name this instance keeps its event cursor under (var/gateway/<name>.cursor);
    # defaults to "gateway-<port>" so instances side by side on one machine never share one.
    instance_name: str | None = None

    # The typed backend client.
    backend_timeout: float = 5.0  # seconds per request (connect, read, write, pool)
    backend_retries: int = 2  # extra attempts for idempotent calls and keyed order creation
    backend_retry_backoff: float = 0.1  # first pause; doubles on each attempt
    backend_max_connections: int = 100
    # How long GET /api/v1/products reuses the menu it rendered (0: ask the backend each time).
    products_cache_seconds: float = 1.0

    # Notifications from the backend's event stream.
    events_enabled: bool = True
    events_replay: int = 1000  # recent events kept for clients that reconnect with an id
    events_reconnect_max: float = 5.0  # seconds, cap of the reconnect backoff

    # WebSocket hygiene.
    ws_max_message_bytes: int = 16 * 1024
    ws_messages_per_second: float = 20.0
    ws_burst: int = 40
    ws_send_queue: int = 256  # frames waiting for a slow client before it is dropped

    # The assistant.
    assistant_memory_users: int = 10_000
    assistant_memory_ttl: float = 30 * 60.0  # seconds a user's short memory lives
    chat_max_chars: int = 2000
