"""One router per resource, all mounted under ``/api/v1`` by :func:`mission.api.app.create_app`."""
