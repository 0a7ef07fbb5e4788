"""The nexus service."""
