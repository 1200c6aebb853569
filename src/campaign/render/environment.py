"""The Jinja2 sandbox templates are rendered in, with the helpers staff can call.

Templates are written by staff, not trusted code: they run in Jinja2's sandbox, undefined
variables are errors (a typo never posts an empty string), and only these helpers exist:

- ``{{ event.starts | date }}`` → ``26 September 2017`` in the post's language
  (``short``/``medium``/``long``/``full``, a Babel pattern or a strftime format as argument:
  ``date("EEEE d MMMM")``), ``{{ event.starts | time }}`` → ``09:00``; dates are shown in
  the event's own zone (:mod:`campaign.render.dates`);
- ``{{ event.hashtags | hashtags }}`` → ``#DarkWeb #Media4Sec``;
- ``{{ handle() }}`` → the event's handle on the platform being rendered
  (``handles: {twitter: "@MEDIA4SEC"}``);
- ``{{ track("https://site/page") }}`` → the link with this post's UTM tags.

Templates load only from their folder (:mod:`campaign.render.loader`), and what a render
may cost is limited (:mod:`campaign.render.limits`): every call, intercepted operator, ``~``
and turn of a ``{% for %}`` loop checks the time budget, and operations whose result would be
too large are refused before they run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import StrictUndefined, Template, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaign.render import limits
from campaign.render.dates import DateFilters
from campaign.render.guards import check_string_method, guard_filters
from campaign.render.limits import Budget, check_size
from campaign.render.loader import FolderLoader


def _hashtags(tags: Iterable[str]) -> str:
    """``["DarkWeb", "#Media4Sec"]`` as ``#DarkWeb #Media4Sec``."""
    if isinstance(tags, str):
        tags = [tags]
    return " ".join(f"#{tag.lstrip('#')}" for tag in tags)


# Every attribute a plain dict has; any other name is one it can only hold as a key.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _BudgetedCode(CodeGenerator):
    """Jinja2's code generator, with loops, ``~`` and literals going through the budget.

    A loop iterates ``environment.loop_items(...)``, which checks the time at every turn;
    ``a ~ b`` calls ``environment.joined(...)`` and ``[a, b]`` ``environment.checked(...)``,
    which refuse a result over the size limit: none of them is an operator the sandbox can
    intercept.
    """

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        """Compile the loop over ``environment.loop_items(<iterable>)``."""
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("loop_items"), [node.iter], [], None, None
        ).set_lineno(node.lineno)
        super().visit_For(node, frame)

    @optimizeconst
    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        """Compile ``[a, b]`` as ``environment.checked([a, b])``."""
        self._checked(super().visit_List, node, frame)

    @optimizeconst
    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        """Compile ``{"a": b}`` as ``environment.checked({"a": b})``."""
        self._checked(super().visit_Dict, node, frame)

    @optimizeconst
    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        """Compile ``(a, b)`` as ``environment.checked((a, b))``, unless assigned to."""
        if node.ctx == "load":
            self._checked(super().visit_Tuple, node, frame)
        else:
            super().visit_Tuple(node, frame)

    def _checked(self, visit: Callable[[Any, Frame], None], node: nodes.Node, frame: Frame) -> None:
        self.write("environment.checked(")
        visit(node, frame)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        """Compile ``a ~ b`` as ``environment.joined((a, b))``."""
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


# How many printed pieces a render collects between checks of the output's length.
_PIECES_PER_CHECK = 64


class CampaignSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, within a :class:`~campaign.render.limits.Budget`.

    It is also quicker at ``event.title`` when ``event`` is a plain dict.
    """

    code_generator_class = _BudgetedCode
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    budget: Budget

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

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``left <operator> right``, refused first if its result would be over a limit."""
        self.budget.check()
        limits.check_binop(operator, left, right)
        return self.binop_table[operator](left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj`` from a template, within the time budget and the size limits."""
        self.budget.check()
        target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
        if isinstance(getattr(target, "__self__", None), (str, bytes)):
            args = check_string_method(target.__self__, target.__name__, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(result, (list, tuple, dict)):
            limits.check_contents(result, "the call")
        return result

    def loop_items(self, items: Iterable[Any]) -> Iterator[Any]:
        """The items of a ``{% for %}`` loop, checking the time budget at every turn."""
        check = self.budget.check
        for item in items:
            check()
            yield item

    def checked(self, value: Any) -> Any:
        """A list, tuple or dict a template made, refused if it holds too much."""
        limits.check_contents(value, "a list, tuple or dict")
        return value

    def joined(self, values: tuple[Any, ...]) -> str:
        """``a ~ b ~ …``: the values as text, joined, refused if over the size limit."""
        texts = [value if type(value) is str else str(value) for value in values]
        check_size(sum(map(len, texts)), "`~`")
        return "".join(texts)


def make_environment(templates_dir: Path, budget: Budget | None = None) -> CampaignSandbox:
    """A sandboxed environment loading ``templates_dir``, strict about undefined names.

    Its renders spend ``budget`` (a fresh :class:`~campaign.render.limits.Budget` if none).
    """
    env = CampaignSandbox(
        loader=FolderLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.budget = budget or Budget()
    # lorem ipsum is no help in a post, and its size is not checked.
    del env.globals["lipsum"]
    guard_filters(env.filters)
    dates = DateFilters()
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
        unchanged. The text is collected in batches of pieces, so output over the limit stops
        the render, and the render runs within the post's time budget. Errors are re-raised
        as ``Template.render`` does, with the template's own line numbers in the traceback.
        """
        template = self.template
        env = template.environment
        assert isinstance(env, CampaignSandbox)
        env.budget.start_post()
        context = env.context_class(
            env, variables, template.name, template.blocks, globals=self.globals
        )
        try:
            output = template.root_render_func(context)
            # Joined in batches: most templates print fewer pieces than one batch, and no
            # piece is larger than the size limits allow, so the text stays within megabytes.
            pieces: list[str] = []
            size = 0
            while True:
                text = "".join(islice(output, _PIECES_PER_CHECK))
                size += len(text)
                if size > limits.OUTPUT_CHARS_PER_POST:
                    raise limits.output_too_long()
                pieces.append(text)
                piece = next(output, None)
                if piece is None:
                    return "".join(pieces)
                pieces.append(piece)
                size += len(piece)
        except Exception:
            env.handle_exception()
        finally:
            env.budget.finish_post()


class TemplateSet:
    """The compiled templates of one templates folder, with per-language and per-platform
    overrides.

    ``templates/<language>/<platform>/<name>.j2`` wins over ``templates/<language>/<name>.j2``
    (for a post in a language), which wins over ``templates/<platform>/<name>.j2``, which wins
    over ``templates/<name>.j2``. Compiled templates are cached, so planning thousands of
    posts compiles each template once.
    """

    def __init__(self, templates_dir: Path, budget: Budget | None = None) -> None:
        self.dir = templates_dir
        self.env = make_environment(templates_dir, budget)
        self._cache: dict[tuple[str, str, str | None], Compiled] = {}

    def candidates(self, name: str, platform: str, language: str | None = None) -> list[str]:
        """The template names tried, in order, for ``name`` on ``platform`` in ``language``."""
        file = name if name.endswith(".j2") else f"{name}.j2"
        found = [f"{platform}/{file}", file]
        if language is not None:
            found[:0] = [f"{language}/{platform}/{file}", f"{language}/{file}"]
        return found

    def get(self, name: str, platform: str, language: str | None = None) -> Compiled:
        """The template for ``name`` on ``platform`` in ``language``; raises jinja2's
        TemplateNotFound."""
        key = (name, platform, language)
        compiled = self._cache.get(key)
        if compiled is None:
            template = self.env.select_template(self.candidates(name, platform, language))
            compiled = Compiled(template, dict(template.globals))
            self._cache[key] = compiled
        return compiled

    def available(self) -> list[str]:
        """Names of the templates in the folder (without ``.j2``, any sub-folder), for hints."""
        names = self.env.list_templates(extensions=["j2"])
        return sorted({name.rsplit("/", 1)[-1].removesuffix(".j2") for name in names})
