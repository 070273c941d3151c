"""Kefu Pulse: the runtime around the stream (settings, CLI, embedded services, app)."""
