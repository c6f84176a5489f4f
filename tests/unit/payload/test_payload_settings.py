"""The [payload] settings: defaults from the shipped config, environment overrides, water GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from mission.settings import load_settings
from payload.payload_settings import PayloadSettings, read_water_rings


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.payload.sn == "PAYLOAD01" and settings.payload.min_hits == 3
    assert settings.path(settings.payload.speaker_messages).is_file()
    monkeypatch.setenv("SKYLOOP_PAYLOAD__RATE_HZ", "5")
    assert load_settings().payload.rate_hz == 5.0


def test_unsafe_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        PayloadSettings(rate_hz=0)
    with pytest.raises(ValidationError):
        PayloadSettings(snapshot_max_bytes=60_000)  # would not fit a 64 kB event
    with pytest.raises(ValidationError):
        PayloadSettings(sn="bad/serial")


def test_water_geojson(tmp_path: Path) -> None:
    lake = [[113.75, 34.80], [113.76, 34.80], [113.76, 34.81], [113.75, 34.80]]
    path = tmp_path / "water.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [lake]}},
                    {
                        "type": "Feature",
                        "geometry": {"type": "MultiPolygon", "coordinates": [[lake], [lake]]},
                    },
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.7, 34.7]}},
                ],
            }
        )
    )
    rings = read_water_rings(path)
    assert len(rings) == 3 and rings[0][1] == (113.76, 34.80)
    params = PayloadSettings(water_geojson=Path("water.geojson"), shore_buffer_m=5).pipeline_params(tmp_path)
    assert params.water_lonlat == rings and params.shore_buffer_m == 5
    (tmp_path / "points.geojson").write_text(json.dumps({"type": "Point", "coordinates": [1, 2]}))
    with pytest.raises(ValueError, match="no Polygon"):
        read_water_rings(tmp_path / "points.geojson")
    with pytest.raises(ValueError, match="missing"):
        read_water_rings(tmp_path / "missing.geojson")
