"""Link tracking back to the campaign's site: UTM tags, first-party short links, clicks.

The renderer calls :func:`track_text` (and the template helper ``track(url)`` calls
:func:`tag_url`); :mod:`campaign.links.shortlinks` stores short codes when posts are
scheduled; :mod:`campaign.links.redirector` answers them (``campaign serve-links``) and
records clicks; :mod:`campaign.links.report` counts them (``campaign links report``).
Only the tagging API is imported here, so previews load no server or database code.
"""

from campaign.links.policy import LinkPolicy
from campaign.links.tracking import TrackedLink, tag_url, track_text

__all__ = ["LinkPolicy", "TrackedLink", "tag_url", "track_text"]
