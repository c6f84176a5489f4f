"""The fleet manager: registry of docks and drones, live state, battery and endurance model,
availability; the DroneLink port and its MAVSDK implementation."""
