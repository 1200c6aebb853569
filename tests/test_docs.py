"""Docs that cannot drift: every command is in the README and has help; the README's
set-up commands are the ones CI runs."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic_settings import BaseSettings

from campaign.cli import app

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, Any]]:
    root: Any = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            found.extend((f"{name} {sub}", cmd) for sub, cmd in command.commands.items())
        else:
            found.append((name, command))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: str(v))
def test_every_command_is_documented_and_has_help(name: str, command: Any) -> None:
    assert f"campaign {name}" in README, f"`campaign {name}` is missing from README.md"
    assert (command.help or "").strip(), f"`campaign {name}` has no help text"


def test_readme_opens_with_the_two_setup_commands() -> None:
    blocks = [b.split("```", 1)[0].strip() for b in README.split("```sh\n")[1:3]]
    assert blocks[0].endswith("campaign preview schedules/darkweb-2017.yaml")
    assert blocks[1].endswith("python -m pytest -q")
    assert '/bin/python" -m pytest -q' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _settings_classes() -> list[type[BaseSettings]]:
    from campaign.adapters.registry import ADAPTERS, adapter_type

    for name in ADAPTERS:
        adapter_type(name)
    importlib.import_module("campaign.daemon.config")
    importlib.import_module("campaign.tagging.shortcodes")
    found: list[type[BaseSettings]] = []
    pending = [BaseSettings]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("campaign."):
                found.append(sub)
    return found


def test_every_setting_is_documented_in_the_readme() -> None:
    test_hooks = {"CAMPAIGN_CLOCK_OFFSET_SECONDS"}
    names = {
        f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        for cls in _settings_classes()
        for field in cls.model_fields
    }
    assert {"CAMPAIGN_TWITTER_API_KEY", "CAMPAIGN_LINKS_SECRET"} <= names
    missing = sorted(name for name in names - test_hooks if f"`{name}`" not in README)
    assert missing == [], f"settings missing from README.md: {missing}"
