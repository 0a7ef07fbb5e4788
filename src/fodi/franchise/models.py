"""Every table of the franchise service (imported by the migrations' metadata)."""
