"""A :class:`fleet.ports.FleetStateStore` in one JSON file, written atomically.

Each save writes a temporary file in the same folder, flushes it to disk and renames it over the old
one, so a crash leaves either the old or the new state, never half a file. A file that cannot be
read is moved aside (``<name>.corrupt-<UTC time>``) rather than overwritten, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from fleet.model import FleetSnapshot
from fleet.snapshot_codec import FleetStoreError, snapshot_from_data, snapshot_to_data

log = logging.getLogger(__name__)


class JsonFleetStateStore:
    """Last known fleet state in ``path`` (its folder is created on the first save)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    async def load(self) -> FleetSnapshot | None:
        return await asyncio.to_thread(self.load_sync)

    async def save(self, snapshot: FleetSnapshot) -> None:
        await asyncio.to_thread(self.save_sync, snapshot)

    def load_sync(self) -> FleetSnapshot | None:
        """The stored snapshot, None when there is none; an unreadable file is moved aside and
        reported with :class:`FleetStoreError`."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise FleetStoreError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        try:
            return snapshot_from_data(json.loads(text), str(self.path))
        except (json.JSONDecodeError, FleetStoreError) as exc:
            aside = self._move_aside()
            raise FleetStoreError(f"{exc} (kept as {aside.name})") from None

    def save_sync(self, snapshot: FleetSnapshot) -> None:
        """Write the snapshot atomically (temp file, fsync, rename)."""
        try:
            text = json.dumps(snapshot_to_data(snapshot), indent=1, sort_keys=True, allow_nan=False)
        except ValueError as exc:  # NaN or infinity somewhere: refuse rather than write invalid JSON
            raise FleetStoreError(f"{self.path}: snapshot not saved: {exc}") from None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise FleetStoreError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        _fsync_dir(self.path.parent)

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        os.replace(self.path, aside)
        log.error("fleet state file %s is unreadable; moved to %s", self.path, aside)
        return aside


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
