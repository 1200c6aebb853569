"""What the daemon alerts people about, seen afresh at every poll.

- a post that became ``failed``, ``unknown`` or ``missed`` (the same window ``campaign
  status`` uses), with the command that fixes it;
- a platform whose due posts have waited longer than ``CAMPAIGN_ALERT_AFTER`` (missing or
  refused credentials, an outage), one alert per platform;
- the daemon's own writes failing (the ledger read-only or its disk full).

Each problem has a stable key, so :class:`~campaign.alerts.Alerter` sends it once, reminds
while it lasts and says when it is resolved. Nothing here may stop publishing: a failure to
look is logged and tried again at the next poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from campaign.alerts import Alert, Alerter, AlertSettings
from campaign.daemon.logs import event
from campaign.daemon.status import check
from campaign.platforms.registry import platform
from campaign.store.ledger import Ledger
from campaign.store.queued import QueuedPost
from campaign.store.states import FAILED, MISSED, UNKNOWN

TEXT_START = 80  # characters of a post's text an alert quotes
_WHAT = {FAILED: "failed", UNKNOWN: "may or may not be published", MISSED: "was missed"}


def post_alert(post: QueuedPost) -> Alert:
    """The alert for one post that needs a person."""
    title = f"a post {_WHAT[post.state]}: {post.campaign} {post.announcement} on " + (
        platform(post.platform).title
    )
    text = " ".join(post.text.split())
    details = {
        "campaign": post.campaign,
        "event": post.event,
        "announcement": post.announcement,
        "platform": post.platform,
        "time": post.local_time.strftime("%Y-%m-%d %H:%M %Z"),
        "post": post.id,
        "text": text[:TEXT_START] + ("…" if len(text) > TEXT_START else ""),
        "why": post.last_error or post.state,
    }
    if post.state == UNKNOWN:
        command = (
            f"look on {platform(post.platform).title}, then `campaign resolve {post.id} "
            f"--posted REMOTE_ID` or `campaign resolve {post.id} --not-posted`"
        )
    else:
        command = f"campaign retry {post.id}"
    return Alert(f"post:{post.id}:{post.state}", title, details, command)


def stalled_alert(name: str, posts: list[QueuedPost], now: datetime) -> Alert:
    """The alert for a platform whose due posts are not going out."""
    oldest = min(post.scheduled_at for post in posts)
    minutes = int((now - oldest).total_seconds() // 60)
    title = f"{platform(name).title}: {len(posts)} due post(s) not published for {minutes} min"
    details = {
        "platform": name,
        "posts": ", ".join(post.id for post in posts[:5]) + (" …" if len(posts) > 5 else ""),
        "oldest due": oldest.isoformat(timespec="minutes"),
    }
    command = f"campaign accounts check {name}  (then look at the daemon's log)"
    return Alert(f"platform:{name}:stalled", title, details, command)


def write_alert(reason: str) -> Alert:
    """The alert for the daemon's own writes failing."""
    return Alert(
        "daemon:writes",
        "the daemon cannot write to its ledger",
        {"why": reason},
        "free disk space or fix the ledger's permissions; `campaign status` shows the state",
    )


class Watch:
    """Looks for problems at each poll and hands them to the :class:`Alerter`."""

    def __init__(
        self,
        ledger: Ledger,
        clock: Callable[[], datetime],
        *,
        grace: timedelta,
        stale_after: timedelta,
        settings: AlertSettings | None = None,
    ) -> None:
        self.settings = settings or AlertSettings()
        self.ledger = ledger
        self.clock = clock
        self.grace = grace
        self.stale_after = stale_after
        self.alerter = Alerter(self.settings, clock)
        self.write_problem: str | None = None

    def poll(self) -> None:
        """Send what changed since the last poll; never raises."""
        if not self.settings.enabled:
            return
        try:
            self.alerter.reconcile(self.problems(self.clock()))
        except Exception as exc:  # alerting must never stop publishing
            event(logging.WARNING, "alerts_failed", f"could not look for problems to alert: {exc}")

    def problems(self, now: datetime) -> dict[str, Alert]:
        """Every problem seen at ``now``, by key."""
        health = check(self.ledger, now, stale_after=self.stale_after, grace=self.grace)
        found = {alert.key: alert for alert in map(post_alert, health.attention)}
        late = now - self.settings.alert_after
        by_platform: dict[str, list[QueuedPost]] = {}
        for post in health.overdue:
            if post.scheduled_at <= late:
                by_platform.setdefault(post.platform, []).append(post)
        for name, posts in by_platform.items():
            alert = stalled_alert(name, posts, now)
            found[alert.key] = alert
        if self.write_problem is not None:
            alert = write_alert(self.write_problem)
            found[alert.key] = alert
        return found

    def close(self) -> None:
        """Send what is queued, then stop."""
        self.alerter.stop()
