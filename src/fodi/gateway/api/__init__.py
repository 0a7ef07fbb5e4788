"""The gateway's HTTP surface (``/api/v1``, ``/health``, ``/notify``)."""
