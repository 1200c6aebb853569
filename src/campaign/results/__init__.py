"""Results a project can report: ``campaign report`` counts, per campaign, event,
announcement, platform or post, what was published, what failed, the clicks it brought and,
where the platform says, its engagement; as a table, JSON, CSV or one self-contained HTML
file to attach to a periodic report."""
