"""The physical link between a sim drone and its sim dock, which real hardware has by itself.

The dock notices its drone leave (:meth:`SimDock.drone_took_off`), opens its cover when the drone
comes back to land (:meth:`SimDock.drone_returning`), takes it in when it lands on the dock
(:meth:`SimDock.drone_landed`, then charging), and a docked drone's battery follows the dock's
charger. Call :meth:`DockedDrone.step` periodically (every sim second is plenty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.dock import SimDock
from sim.vehicle.flight_modes import Px4Mode
from sim.vehicle.vehicle import Vehicle

#: A drone that lands this close to its dock's position is in the dock (the dock centres it).
DOCK_CATCH_M = 15.0
#: A returning drone this close to its dock makes the dock open its cover.
APPROACH_M = 300.0


@dataclass
class DockedDrone:
    """One drone and the dock at its home position."""

    vehicle: Vehicle
    dock: SimDock
    returning: bool = False

    def step(self) -> None:
        s, dock = self.vehicle.state, self.dock
        off_home_m = math.hypot(s.motion.north_m, s.motion.east_m)
        if s.in_air and dock.drone_in_dock:
            dock.drone_took_off()
            self.returning = False
        elif (
            s.in_air
            and not self.returning
            and s.mode in (Px4Mode.RETURN, Px4Mode.LAND)
            and off_home_m < APPROACH_M
        ):
            self.returning = True
            dock.drone_returning()
        elif not s.in_air and not s.armed and not dock.drone_in_dock:
            if off_home_m <= DOCK_CATCH_M:  # elsewhere it waits in the field for a pick-up
                dock.drone_landed(max(0.0, min(100.0, s.battery.remaining * 100.0)))
                self.returning = False
        elif (
            dock.drone_in_dock and not s.armed and abs(dock.battery_pct / 100.0 - s.battery.remaining) > 0.005
        ):
            self.vehicle.set_battery(dock.battery_pct / 100.0)
