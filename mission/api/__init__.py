"""The HTTP console: a versioned JSON API under ``/api/v1`` (FastAPI), live updates over WebSocket,
``/healthz`` and ``/metrics``. :func:`mission.api.app.create_app` builds it over a
:class:`mission.api.backend.ConsoleBackend`; docs/api.md describes every route."""
