"""The simulated world: MAVLink vehicle, dock, weather, incidents, camera renderer, PX4 SITL
launcher and scenario runner."""
