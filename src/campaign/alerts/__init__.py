"""Alerts when a post goes wrong: to a chat webhook (Slack, Mattermost, Microsoft Teams or
plain JSON) and by e-mail, one per problem, with reminders while it lasts and a "resolved"
message when it ends. Sending happens on a thread of its own: an alert that cannot be sent
is logged and never holds up publishing."""

from campaign.alerts.alerter import Alerter
from campaign.alerts.message import Alert
from campaign.alerts.settings import AlertSettings

__all__ = ["Alert", "AlertSettings", "Alerter"]
