"""What the web console needs from mission control besides the API proper: the page and its files at
``/`` and ``/console/``, nothing fetched from the internet, the district as GeoJSON and ``/me``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from mission.api.app import CONSOLE_DIR, create_app
from mission.api_settings import ApiSettings
from tests.integration.api.conftest import ADMIN_TOKEN, bearer, make_token
from tests.integration.api.console_fakes import TestBackend

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture
def client() -> Iterator[TestClient]:
    backend = TestBackend()
    backend.feed_healthy_docks()
    with TestClient(create_app(backend, ApiSettings(), bootstrap_token=ADMIN_TOKEN)) as c:
        yield c


def test_the_console_page_and_its_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r'src="(/console/[^"]+)"', page.text)
    styles = re.findall(r'href="(/console/[^"]+)"', page.text)
    assert scripts and styles
    for path in scripts + styles:
        r = client.get(path)
        assert r.status_code == 200, path
    js = client.get("/console/app.js")
    assert "javascript" in js.headers["content-type"]
    for module in re.findall(r'from "\./([^"]+)"', js.text):
        assert client.get(f"/console/{module}").status_code == 200, module
    assert client.get("/console/nothing-here.js").status_code == 404


def test_every_module_is_served_and_loaded_by_the_page(client: TestClient) -> None:
    """From app.js, the modules each module imports (panels, admin, speak, …): every one is served
    and every .js file of the console is reached (none is left out of the page)."""
    seen: set[str] = set()
    todo = ["app.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        r = client.get(f"/console/{name}")
        assert r.status_code == 200, name
        assert "javascript" in r.headers["content-type"], name
        todo += re.findall(r'from "\./([^"]+)"', r.text)
    on_disk = {p.name for p in CONSOLE_DIR.glob("*.js")}
    assert seen == on_disk
    assert {"incidents.js", "admin.js", "speak.js"} <= seen


def test_the_console_needs_no_internet() -> None:
    files = [p for p in CONSOLE_DIR.iterdir() if p.suffix in (".html", ".js", ".css")]
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8").replace(SVG_NAMESPACE, "")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), path.name


def test_district_geojson_for_the_map(client: TestClient) -> None:
    assert client.get("/api/v1/district").status_code == 401
    viewer = bearer(make_token(client, "vera", "viewer"))
    fc = client.get("/api/v1/district", headers=viewer).json()
    assert fc["type"] == "FeatureCollection"
    by_role: dict[str, list[dict[str, object]]] = {}
    for f in fc["features"]:
        by_role.setdefault(f["properties"]["role"], []).append(f)
    assert len(by_role["district"]) == 1
    assert by_role["district"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")  # type: ignore[index]
    assert by_role["keepout"] and all(f["geometry"]["type"] != "Point" for f in by_role["keepout"])  # type: ignore[index]
    assert len(by_role["landmark"]) == 5
    docks = client.get("/api/v1/docks", headers=viewer).json()
    assert {(d["id"], d["lon_deg"], d["lat_deg"]) for d in docks} == {
        (f["properties"]["id"], *f["geometry"]["coordinates"])  # type: ignore[index]
        for f in by_role["dock"]
    }
    assert len(by_role["dock"]) == 16


def test_me_names_the_caller_and_role(client: TestClient) -> None:
    token = make_token(client, "dan", "dispatcher")
    assert client.get("/api/v1/me", headers=bearer(token)).json() == {"name": "dan", "role": "dispatcher"}
    assert client.get("/api/v1/me", headers=bearer("sky_nope")).status_code == 401


def _label_keys(i18n: str, lang: str) -> set[str]:
    block = re.search(rf"\n  {lang}: \{{(.*?)\n  \}},", i18n, re.DOTALL)
    assert block, lang
    return set(re.findall(r"(\w+): \"", block.group(1)))


def test_every_label_the_console_uses_exists_in_english_and_chinese() -> None:
    i18n = (CONSOLE_DIR / "i18n.js").read_text(encoding="utf-8")
    en, zh = _label_keys(i18n, "en"), _label_keys(i18n, "zh")
    assert en == zh, sorted(en ^ zh)
    used: set[str] = set()
    for path in CONSOLE_DIR.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("(\w+)"\)', text))
        used |= {k for pair in re.findall(r'\? "(\w+)" : "(\w+)"\)', text) for k in pair if k in en | zh}
    used |= set(re.findall(r'data-i18n="(\w+)"', (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")))
    assert {"tab_incidents", "tab_admin", "speak_own", "token_once", "live_fps"} <= used
    assert used <= en, sorted(used - en)
