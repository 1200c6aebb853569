"""What each platform is: names, limits, how it measures text, image rules, threads.

Pure: no network, no files, no client library. Planning (``validate``, ``preview``,
``schedule``) and the adapters both judge posts by these rules, so they cannot disagree.
One module per platform (:mod:`.twitter`, :mod:`.mastodon`, :mod:`.bluesky`,
:mod:`.linkedin`), listed in :mod:`.registry`.
"""

from campaign.platforms.base import PlatformSpec
from campaign.platforms.images import Image, ImageRules
from campaign.platforms.registry import canonical, platform, platforms

__all__ = ["Image", "ImageRules", "PlatformSpec", "canonical", "platform", "platforms"]
