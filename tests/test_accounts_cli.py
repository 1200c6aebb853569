"""``campaign accounts check``, run in-process as a user would, against the fake X and
LinkedIn APIs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from campaign.cli import app
from campaign.platforms.registry import platforms
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.x_api import FakeX

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No platform is configured: no CAMPAIGN_* variable and no .env in the working folder."""
    for variable in list(os.environ):
        if variable.startswith("CAMPAIGN_"):
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def configured(fake_x: FakeX, monkeypatch: pytest.MonkeyPatch) -> FakeX:
    """X configured in the environment, pointing at the fake."""
    for variable, value in fake_x.env().items():
        monkeypatch.setenv(variable, value)
    return fake_x


def check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["accounts", "check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_named_platform_prints_the_handle(configured: FakeX) -> None:
    code, output = check("twitter")

    assert code == 0
    assert output == "X (Twitter): ok @campaignbot\n"
    assert [call.operation for call in configured.calls()] == ["whoami"]


def test_all_platforms_checks_configured_and_reports_the_others(configured: FakeX) -> None:
    code, output = check()

    assert code == 0
    assert "X (Twitter): ok @campaignbot" in output
    others = [spec.title for spec in platforms().values() if spec.name != "twitter"]
    for title in others:
        assert f"{title}: not configured" in output


def test_nothing_configured_is_not_a_failure_unless_named() -> None:
    code, output = check()
    assert code == 0
    assert "X (Twitter): not configured" in output
    assert "CAMPAIGN_TWITTER_API_KEY" in output

    code, output = check("twitter")
    assert code == 1
    assert "set CAMPAIGN_TWITTER_API_KEY, CAMPAIGN_TWITTER_API_SECRET" in output


def test_refused_credentials_fail_and_say_what_to_fix(configured: FakeX) -> None:
    configured.set_credentials(access_token="1700000000000000001-regenerated")

    code, output = check()

    assert code == 1
    assert "X (Twitter): failed" in output
    assert "refused the credentials" in output
    assert "CAMPAIGN_TWITTER_ACCESS_TOKEN" in output


def test_unreachable_platform_fails(configured: FakeX) -> None:
    configured.fault("whoami", "server_error")

    code, output = check("twitter")

    assert code == 1
    assert "503" in output
    assert "the credentials were not checked: try again in a few minutes" in output
    assert "tried again later" not in output  # what the daemon does is not this command's


def test_unknown_platform_is_an_error() -> None:
    code, output = check("myspace")

    assert code == 1
    assert "unknown platform 'myspace'" in output
    assert "twitter" in output


def test_json_output(configured: FakeX) -> None:
    code, output = check("--json")

    assert code == 0
    results = {item["platform"]: item for item in json.loads(output)}
    assert set(results) == set(platforms())
    assert results["twitter"] == {
        "platform": "twitter",
        "title": "X (Twitter)",
        "status": "ok",
        "handle": "@campaignbot",
        "message": "",
        "notices": [],
    }


@pytest.mark.parametrize("args", [(), ("twitter",), ("--json",)])
def test_no_secret_in_output(configured: FakeX, args: tuple[str, ...]) -> None:
    secrets = configured.credentials.values()
    configured.set_credentials(api_secret="something-else")  # a failing check prints more

    _, output = check(*args)

    assert "X (Twitter)" in output or '"twitter"' in output
    assert not [secret for secret in secrets if secret in output]


@pytest.fixture
def linkedin(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLinkedIn]:
    """LinkedIn configured in the environment as the page, on a version retiring 2027-01-15,
    with only the scope the README says posting needs."""
    with FakeLinkedIn() as fake:
        fake.scopes = {"w_organization_social"}
        for variable, value in fake.env(CAMPAIGN_LINKEDIN_VERSION="202601").items():
            monkeypatch.setenv(variable, value)
        yield fake


@time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=UTC), tick=False)
def test_notes_warn_without_failing(linkedin: FakeLinkedIn) -> None:
    """A missing read scope and a version near retirement are notes: the check passes."""
    code, output = check("linkedin")

    assert code == 0
    assert output.startswith("LinkedIn: ok urn:li:organization:123\n    note: LinkedIn-Version")
    words = " ".join(output.split())
    assert "LinkedIn-Version 202601 retires on 2027-01-15, in 26 days" in words
    assert "note: could not confirm the member's role on urn:li:organization:123" in words
    assert "lacks the r_organization_admin scope" in words
    assert "Fix the post" not in output

    code, output = check("linkedin", "--json")
    [result] = json.loads(output)
    assert (code, result["status"], len(result["notices"])) == (0, "ok", 2)
    assert "set CAMPAIGN_LINKEDIN_VERSION to a newer version such as 202611" in result["notices"][0]
