"""The nexus service's settings section (environment: ``NEXUS__NAME``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from fodi.core.sections import ServiceSection


class NexusSettings(ServiceSection):
    port: int = 8100
    # The dispatcher running inside `fodi serve nexus` (0 workers disables it; separate
    # worker processes run `fodi nexus dispatch`).
    dispatch_enabled: bool = True
    dispatch_workers: int = Field(default=1, ge=0, le=64)
    # Deliveries in flight per worker loop (each holds a keep-alive connection).
    dispatch_batch: int = Field(default=16, ge=1, le=500)
    dispatch_poll_seconds: float = Field(default=0.1, gt=0, le=60)
    # A claimed event is invisible to other workers this long; a worker killed mid-delivery
    # loses nothing because the lease simply runs out and another worker claims the event.
    lease_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    # The largest settings or state document kept per subscription, and the largest body.
    max_document_bytes: int = Field(default=1_000_000, ge=1024)
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    long_poll_max_seconds: float = Field(default=30.0, ge=0, le=120)
    # A service token, once checked, is trusted this long by this process (0 disables the
    # cache). Revocation elsewhere (the CLI, another server process) lags by at most this.
    token_cache_seconds: float = Field(default=2.0, ge=0, le=60)

    @model_validator(mode="after")
    def _lease_outlives_a_delivery(self) -> Self:
        # A live worker's lease must not run out while its webhook call may still succeed,
        # or a second worker could deliver the same event concurrently.
        if self.lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("lease_seconds must be longer than webhook_timeout_seconds")
        return self
