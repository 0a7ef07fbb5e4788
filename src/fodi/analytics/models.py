"""Every table of the analytics service (imported by the migrations' metadata)."""
