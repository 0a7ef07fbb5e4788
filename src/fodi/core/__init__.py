"""The platform core: settings, database, errors, auth, logging, metrics."""
