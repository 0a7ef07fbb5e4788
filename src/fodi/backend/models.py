"""Every table of the backend service (imported by the migrations' metadata)."""
