"""Every table of the nexus service (imported by the migrations' metadata)."""
