"""Onboard payload: frame sources, detectors, infrared, loudspeaker, georeferencing, tracking and
the onboard agent that publishes leads over MQTT."""
