"""Mission control: alerts, planner/dispatcher, mission lifecycle and executor, leads and the
grid-platform outbox, persistence, the HTTP console, the CLI and the composition root."""
