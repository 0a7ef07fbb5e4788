"""Every FastAPI dependency of every service is ``async``: FastAPI runs a plain ``def``
dependency in a worker thread, a thread hop per request (see ``fodi.core.deps``)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.services import SERVICES


def _sync_dependencies(dependant: Dependant) -> list[str]:
    found = []
    for dependency in dependant.dependencies:
        call: Any = dependency.call
        asynchronous = inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
        if not asynchronous:
            found.append(getattr(call, "__qualname__", repr(call)))
        found += _sync_dependencies(dependency)
    return found


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's API routes, through the routers FastAPI includes (not flattened here)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            found += _api_routes(included.routes)
    return found


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_dependency_runs_in_a_worker_thread(name: str, settings: Settings, db: Database) -> None:
    module, function = SERVICES[name].factory.split(":")
    factory = getattr(importlib.import_module(module), function)
    try:
        app = factory(settings, database=db)
    except TypeError:  # a factory that takes no database (the gateway talks to the backend)
        app = factory(settings)
    routes = _api_routes(app.routes)
    assert routes
    sync = {
        f"{route.path}: {call}" for route in routes for call in _sync_dependencies(route.dependant)
    }
    assert sync == set()
