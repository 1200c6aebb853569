"""The Jinja2 sandbox templates are rendered in, with the helpers staff can call.

Templates are written by staff, not trusted code: they run in Jinja2's sandbox, undefined
variables are errors (a typo never posts an empty string), and only these helpers exist:

- ``{{ event.starts | date }}`` → ``26 September 2017`` (any strftime format as argument:
  ``date("%A %-d %B")``), ``{{ event.starts | time }}`` → ``09:00``; dates are shown in the
  event's own zone;
- ``{{ event.hashtags | hashtags }}`` → ``#DarkWeb #Media4Sec``;
- ``{{ handle() }}`` → the event's handle on the platform being rendered
  (``handles: {twitter: "@MEDIA4SEC"}``);
- ``{{ track("https://site/page") }}`` → the link with this post's UTM tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment


class _DateFilters:
    """The ``date`` and ``time`` filters of one environment, remembering what they printed.

    A plan prints the same few event dates in post after post, and ``strftime`` is the slow
    part. The memo lives as long as its environment, one plan.
    """

    def __init__(self) -> None:
        self._printed: dict[tuple[str, datetime, tzinfo | None, int], str] = {}

    def date(self, value: datetime, fmt: str = "%-d %B %Y") -> str:
        """Format a date-time for people (default ``26 September 2017``)."""
        if not isinstance(value, datetime):
            raise TypeError(f"date needs a date-time such as event.starts, not {value!r}")
        # Equal instants in two zones, or the two readings of an hour a clock goes back over,
        # print differently: the zone and fold are part of the key.
        key = (fmt, value, value.tzinfo, value.fold)
        text = self._printed.get(key)
        if text is None:
            text = self._printed[key] = value.strftime(fmt)
        return text

    def time(self, value: datetime, fmt: str = "%H:%M") -> str:
        """Format the time of day of a date-time (default ``09:30``)."""
        return self.date(value, fmt)


def _hashtags(tags: Iterable[str]) -> str:
    """``["DarkWeb", "#Media4Sec"]`` as ``#DarkWeb #Media4Sec``."""
    if isinstance(tags, str):
        tags = [tags]
    return " ".join(f"#{tag.lstrip('#')}" for tag in tags)


# Every attribute a plain dict has; any other name is one it can only hold as a key.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class CampaignSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, quicker at ``event.title`` when ``event`` is a plain dict."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        """What the sandbox's ``getattr`` returns, without its exception for dict keys.

        The sandbox tries ``getattr(obj, attribute)`` first and, when that raises
        AttributeError, ``obj[attribute]``. A plain dict has no attributes of its own, so
        for a name that is not one of dict's the lookup must fail: go to the key at once.
        Template views are plain dicts, and this is most of what templates do.
        """
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def make_environment(templates_dir: Path) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment loading ``templates_dir``, strict about undefined names."""
    env = CampaignSandbox(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    dates = _DateFilters()
    env.filters.update(date=dates.date, time=dates.time, hashtags=_hashtags)
    return env


def handle_helper(handles: dict[str, str], platform: str, event_id: str) -> Callable[[], str]:
    """The ``handle()`` template helper for one event on one platform."""

    def handle() -> str:
        try:
            return handles[platform]
        except KeyError:
            raise UndefinedError(
                f"event {event_id!r} has no handle for {platform}; "
                f'add it under `handles:` (e.g. `{platform}: "@name"`)'
            ) from None

    return handle


class Compiled(NamedTuple):
    """A compiled template with its globals (Jinja2's ``range``, ``dict``…) as one dict."""

    template: Template
    globals: dict[str, Any]

    def render(self, variables: dict[str, Any]) -> str:
        """What ``template.render(variables)`` returns; ``variables`` must hold the globals.

        ``Template.render`` merges the globals into a copy of the variables and iterates
        the template's chain of globals twice for every render; this takes the variables as
        they are. Everything the sandbox checks happens inside the compiled code (every
        attribute, item and call goes through the sandboxed environment), so it is
        unchanged. Errors are re-raised as ``Template.render`` does, with the template's
        own line numbers in the traceback.
        """
        template = self.template
        env = template.environment
        context = env.context_class(
            env, variables, template.name, template.blocks, globals=self.globals
        )
        try:
            return env.concat(template.root_render_func(context))
        except Exception:
            env.handle_exception()


class TemplateSet:
    """The compiled templates of one templates folder, with per-platform overrides.

    ``templates/<platform>/<name>.j2`` wins over ``templates/<name>.j2``. Compiled templates
    are cached, so planning thousands of posts compiles each template once.
    """

    def __init__(self, templates_dir: Path) -> None:
        self.dir = templates_dir
        self.env = make_environment(templates_dir)
        self._cache: dict[tuple[str, str], Compiled] = {}

    def candidates(self, name: str, platform: str) -> list[str]:
        """The template names tried, in order, for ``name`` on ``platform``."""
        file = name if name.endswith(".j2") else f"{name}.j2"
        return [f"{platform}/{file}", file]

    def get(self, name: str, platform: str) -> Compiled:
        """The template for ``name`` on ``platform``; raises jinja2's TemplateNotFound."""
        compiled = self._cache.get((name, platform))
        if compiled is None:
            template = self.env.select_template(self.candidates(name, platform))
            compiled = Compiled(template, dict(template.globals))
            self._cache[(name, platform)] = compiled
        return compiled

    def available(self) -> list[str]:
        """Names of the templates in the folder (without ``.j2``), for error hints."""
        return sorted({path.name.removesuffix(".j2") for path in self.dir.rglob("*.j2")})
