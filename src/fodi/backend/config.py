"""The backend service's settings section (environment: ``BACKEND__NAME``)."""

from __future__ import annotations

from fodi.core.sections import ServiceSection


class BackendSettings(ServiceSection):
    port: int = 3000
    # The user id the demo data's admin gets, so the README can print a login.
    demo_admin_email: str = "admin@fodifood.local"
    demo_admin_password: str = "admin12345"  # noqa: S105 (demo data only; seed-demo refuses production)
    max_order_items: int = 50
    max_item_quantity: int = 100
