"""The adapters' HTTP session reads proxies and CA bundle from the environment once per host,
and gives the same settings requests itself would."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from campaign.adapters._session import SteadySession

API = "https://api.example.org/2/tweets"
INTERNAL = "http://127.0.0.1:8080/2/tweets"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Proxies for HTTP and HTTPS, loopback exempted, and a CA bundle."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/project.pem")
    return monkeypatch


def settings(session: requests.Session, url: str, **own: Any) -> Any:
    """What ``session`` would send a request to ``url`` with, as ``Session.request`` asks."""
    return session.merge_environment_settings(
        url, own.get("proxies", {}), own.get("stream"), own.get("verify"), own.get("cert")
    )


@pytest.mark.parametrize("url", [API, INTERNAL])
def test_the_same_settings_as_requests_own(environment: pytest.MonkeyPatch, url: str) -> None:
    steady = SteadySession()
    expected = settings(requests.Session(), url)
    assert settings(steady, url) == expected
    assert settings(steady, url) == expected  # the second answer, from what was read once
    if url == API:
        assert expected["proxies"]["https"] == "http://proxy.example.org:3128"
        assert expected["verify"] == "/etc/ssl/certs/project.pem"
    else:
        assert "http" not in expected["proxies"]


def test_the_environment_is_read_once_per_host(environment: pytest.MonkeyPatch) -> None:
    steady = SteadySession()
    first = settings(steady, API)
    environment.setenv("HTTPS_PROXY", "http://other-proxy.example.org:8080")
    assert settings(steady, API) == first
    other = "https://mastodon.example/api/v1/statuses"
    read_now = settings(steady, other)
    assert read_now == settings(requests.Session(), other)
    assert read_now["proxies"]["https"] == "http://other-proxy.example.org:8080"


def test_a_copy_of_the_proxies_each_time(environment: pytest.MonkeyPatch) -> None:
    steady = SteadySession()
    settings(steady, API)["proxies"]["https"] = "http://changed"
    assert settings(steady, API)["proxies"]["https"] == "http://proxy.example.org:3128"


def test_a_request_with_settings_of_its_own_keeps_them(environment: pytest.MonkeyPatch) -> None:
    steady = SteadySession()
    settings(steady, API)
    assert settings(steady, API, verify=False)["verify"] is False
    own = settings(steady, API, proxies={"https": "http://mine:1"})
    assert own["proxies"]["https"] == "http://mine:1"
