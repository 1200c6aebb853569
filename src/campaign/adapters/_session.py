"""The HTTP session of the adapters that speak through requests: the environment read once.

requests looks for proxies (``HTTPS_PROXY``, ``NO_PROXY``…) and a CA bundle
(``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) in the environment on every request, walking
every variable twice: about 0.1 ms of CPU a request on a machine with a few dozen variables,
a tenth of what tweepy's whole call costs against a nearby server. A daemon's environment does
not change while it runs, so :class:`SteadySession` asks requests once per scheme and host
and gives the same answer after: a change to a proxy variable takes effect at the next start.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests


class SteadySession(requests.Session):
    """A ``requests.Session`` that reads its settings from the environment once per host."""

    def __init__(self) -> None:
        super().__init__()
        # requests' settings (a TypedDict private to its type stubs) by scheme and host
        self._from_environment: dict[tuple[str, str], Any] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """requests' own settings for a request to ``url``, read from the environment the
        first time its scheme and host are asked for; a request bringing settings of its own
        (a proxy, ``verify``, a certificate, streaming) is merged by requests as usual."""
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url.decode() if isinstance(url, bytes) else url)
        host = (parts.scheme, parts.netloc)
        settings = self._from_environment.get(host)
        if settings is None:
            settings = super().merge_environment_settings(url, {}, None, None, None)
            self._from_environment[host] = settings
        return {**settings, "proxies": dict(settings["proxies"])}
