"""Link tracking back to the campaign's site: UTM tags, first-party short links, clicks.

The renderer calls :func:`track_text` (and the template helper ``track(url)`` calls
:func:`tag_url`); :mod:`campaign.store.shortlinks` stores short codes when posts are
scheduled; :mod:`campaign.clicks.redirector` answers them (``campaign serve-links``) and
records clicks; :mod:`campaign.clicks.report` counts them (``campaign links report``).
Only the tagging API is imported here, so previews load no server or database code.
"""

from campaign.tagging.policy import LinkPolicy
from campaign.tagging.tracking import TrackedLink, tag_url, track_text

__all__ = ["LinkPolicy", "TrackedLink", "tag_url", "track_text"]
