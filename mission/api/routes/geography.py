"""What the console draws under everything else: the district polygon, keep-out zones, landmarks and
docks as one GeoJSON FeatureCollection in WGS84 (``GET /api/v1/district``), and who the caller is
(``GET /api/v1/me``: name and role, so the console offers only the buttons the role may use).

The district and keep-out files are the ones the settings name (``[district]``), read once and
kept; the docks come from the backend (the fleet registry), so the map shows what can fly."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from geo.district import GeoInputError
from mission.api.deps import BackendDep, Viewer
from mission.geo_config import read_geojson
from mission.settings import Settings, load_settings

router = APIRouter(tags=["console"])


class MeOut(BaseModel):
    name: str
    role: str


def _polygon_features(collection: dict[str, Any], role: str) -> list[dict[str, Any]]:
    out = []
    for feature in collection.get("features") or []:
        geometry = feature.get("geometry") or {}
        props = dict(feature.get("properties") or {})
        if geometry.get("type") not in ("Polygon", "MultiPolygon", "Point"):
            continue
        if geometry.get("type") == "Point" and props.get("role") != "landmark":
            continue
        if geometry.get("type") != "Point":
            props["role"] = role
        out.append({"type": "Feature", "properties": props, "geometry": geometry})
    return out


def district_features(settings: Settings) -> list[dict[str, Any]]:
    """The district polygon(s), its landmarks and the keep-out zones, as the files give them."""
    d = settings.district
    boundary = read_geojson(settings.path(d.boundary), "district")
    keepout = read_geojson(settings.path(d.keepout), "keep-out")
    return _polygon_features(boundary, "district") + _polygon_features(keepout, "keepout")


@router.get("/district", summary="District, keep-out zones, landmarks and docks as GeoJSON (WGS84)")
async def district(request: Request, backend: BackendDep, _: Viewer) -> dict[str, Any]:
    cached: list[dict[str, Any]] | None = getattr(request.app.state, "district_features", None)
    if cached is None:
        settings = getattr(request.app.state, "settings", None)
        try:
            cached = district_features(settings if isinstance(settings, Settings) else load_settings())
        except GeoInputError as exc:
            raise HTTPException(500, f"cannot read the district: {exc}") from None
        request.app.state.district_features = cached
    docks = [
        {
            "type": "Feature",
            "properties": {"role": "dock", "id": d.dock_id, "name": d.name, "dock_type": d.dock_type},
            "geometry": {"type": "Point", "coordinates": [d.lon_deg, d.lat_deg]},
        }
        for d in backend.docks()
    ]
    return {"type": "FeatureCollection", "crs_note": "WGS84 [lon, lat]", "features": [*cached, *docks]}


@router.get("/me", response_model=MeOut, summary="The caller's token name and role")
async def me(who: Viewer) -> MeOut:
    return MeOut(name=who.name, role=who.role.value)
