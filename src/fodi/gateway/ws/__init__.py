"""WebSocket connections and their notifications."""
