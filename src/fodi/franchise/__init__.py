"""The franchise service."""
