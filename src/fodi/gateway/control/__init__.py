"""The supervisor's REST control API on the gateway (`/api/v1/admin/backend/*`, `/services/*`)."""
