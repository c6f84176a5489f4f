"""The simulated PX4 quadrotor: MAVLink v2 over UDP, PX4 modes, parameters, missions, failsafes.

Start vehicles with :class:`SimFleet` (see docs/sim-vehicle.md)::

    configs = spaced_configs(2, home_lon_deg=8.54, home_lat_deg=47.37, port_base=24540, local_port_base=0)
    async with SimFleet(configs, SimClock(speed=10)) as fleet:
        fleet.urls()            # ["udpin://127.0.0.1:24540", ...] for MAVSDK add_any_connection
        fleet.vehicles[0].cut_link(True)
"""

from sim.vehicle.fleet import SimFleet, spaced_configs
from sim.vehicle.vehicle import Vehicle, VehicleConfig

__all__ = ["SimFleet", "Vehicle", "VehicleConfig", "spaced_configs"]
