"""A PNG chart of a click report (``campaign links report --png``): needs ``campaign[charts]``."""

from __future__ import annotations

from pathlib import Path

from campaign.clicks.report import ClickReport
from campaign.errors import ConfigurationError


def write_png(report: ClickReport, path: Path) -> None:
    """Draw clicks per day and per platform, people and bots stacked, into ``path``.

    Raises :class:`~campaign.errors.ConfigurationError` when matplotlib is not installed.
    """
    try:
        import matplotlib  # an optional extra: imported only when asked for

        matplotlib.use("Agg")
        from matplotlib import pyplot
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ConfigurationError(
            "--png needs matplotlib; install the charts extra: pip install 'campaign[charts]'"
        ) from None
    days = report.by_day()
    platforms = report.by(lambda post: post.platform)
    figure, (per_day, per_platform) = pyplot.subplots(
        1, 2, figsize=(11, 4), width_ratios=(3, 1), layout="constrained"
    )
    for axes, labels, tallies, title in (
        (per_day, [d.isoformat() for d in days], list(days.values()), "Clicks per day (UTC)"),
        (per_platform, list(platforms), list(platforms.values()), "Clicks per platform"),
    ):
        humans = [t.humans for t in tallies]
        axes.bar(labels, humans, label="people", color="#2a9d8f")
        axes.bar(labels, [t.bots for t in tallies], bottom=humans, label="bots", color="#c0c0c0")
        axes.set_title(title)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.tick_params(axis="x", labelrotation=45)
    per_day.legend()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
