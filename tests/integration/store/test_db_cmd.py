"""``skyloop db upgrade`` / ``skyloop db current`` on both backends, and their bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mission.cli import main
from mission.store import current_revision, head_revision


def test_upgrade_then_current(empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current", "--url", empty_url]) == 0
    assert "no schema" in capsys.readouterr().out
    assert main(["db", "upgrade", "--url", empty_url]) == 0
    assert f"upgraded from empty to revision {head_revision()}" in capsys.readouterr().out
    assert current_revision(empty_url) == head_revision()
    assert main(["db", "upgrade", "--url", empty_url]) == 0
    assert "already at revision" in capsys.readouterr().out
    assert main(["db", "current", "--url", empty_url]) == 0
    assert f"revision {head_revision()} (newest)" in capsys.readouterr().out


def test_the_default_store_is_next_to_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "site" / "skyloop.toml"
    config.parent.mkdir()
    config.write_text("", encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert (tmp_path / "site" / "var" / "skyloop.db").is_file()
    config.write_text('[store]\nurl = "sqlite:///data/mc.db"\n', encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert (tmp_path / "site" / "data" / "mc.db").is_file()  # relative to the config file
    capsys.readouterr()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "mysql://u@h/db"], "unsupported database 'mysql'"),
        (["--url", "sqlite://"], "in-memory SQLite"),
        (["--url", "not a url"], "not a database URL"),
        (["--url", "postgresql+asyncpg://u@127.0.0.1/db"], "unsupported PostgreSQL driver"),
        (["--url", "postgresql://nobody:secret@127.0.0.1:9/db"], "nobody:\\*\\*\\*@127.0.0.1:9"),
        (["--config", "/nonexistent/skyloop.toml"], "config file not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skyloop: error: ") and err.count("\n") == 1
    assert "secret" not in err
    assert re.search(message, err), err


def test_a_bad_store_setting_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "skyloop.toml"
    config.write_text('[store]\nurl = "sqlite:///x.db"\necho = "loud"\n', encoding="utf-8")
    assert main(["db", "current", "--config", str(config)]) == 2
    assert "store.echo" in capsys.readouterr().err
