"""Every table of the nexus service (imported by the migrations' metadata)."""

from fodi.nexus.auth.models import ServiceToken
from fodi.nexus.bots.models import Bot
from fodi.nexus.events.models import Event, EventStatus
from fodi.nexus.subscriptions.models import Subscription
from fodi.nexus.users.models import User
from fodi.nexus.workflows.models import Workflow, WorkflowHistory, WorkflowStatus

__all__ = [
    "Bot",
    "Event",
    "EventStatus",
    "ServiceToken",
    "Subscription",
    "User",
    "Workflow",
    "WorkflowHistory",
    "WorkflowStatus",
]
