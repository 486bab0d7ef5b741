"""
The sandboxed template engine for templates that staff edit (letters and the
like): Jinja2's ImmutableSandboxedEnvironment, never Django's template engine,
whose templates can walk any object they are given.

The rules (docs/letters.md):

- the source is a string (from the database); there is no loader, and
  `{% include %}`, `{% import %}`, `{% from %}` and `{% extends %}` are refused
  when the template is parsed;
- HTML is autoescaped; an unknown variable is an error that names it
  (StrictUndefined); attributes that start with `_` (`__class__`...) are refused
  by the sandbox;
- the context holds plain data only: str, int, Decimal, date, datetime, bool,
  None, and lists, tuples and dicts (with str keys) of those. Anything else, a
  model instance first of all, is refused before rendering, so a template can
  never reach the database or a method of a domain object;
- only the filters in FILTERS exist, and there are no globals (no `range`,
  `lipsum`, `namespace`...).

Every problem of the template itself (syntax, undefined variable, refused
attribute, a filter given the wrong kind of value) is raised as
TemplateProblem with its line number, so an editing screen can show it.
"""

import datetime
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import jinja2
from django.utils import formats, timezone
from django.utils.functional import Promise
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2 import filters as jinja_filters
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_NAME = "<template>"
PLAIN_SCALARS = (str, bool, int, Decimal, datetime.date, datetime.datetime, type(None))
REFUSED_TAGS = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}


@dataclass(frozen=True)
class TemplateVariable:
    """One value a staff-edited template may use, as its editor and docs list it (letters, messages)."""

    name: str  # "borrower.name" is a key of a dict, "accounts[]" a list to loop over
    description: str | Promise
    example: str

    @property
    def top_level(self) -> str:
        return self.name.split(".", 1)[0].split("[", 1)[0]


class TemplateProblem(Exception):
    """Something wrong with a template's source, at a line if one is known."""

    def __init__(self, message: str, lineno: int | None = None):
        self.message = message
        self.lineno = lineno
        super().__init__(f"line {lineno}: {message}" if lineno else message)


# --- Filters -----------------------------------------------------------------


def _as_decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise TypeError(f"money needs a Decimal or an int, not {type(value).__name__}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"money cannot read {value!r} as an amount") from None


def money(amount, currency: str = "") -> str:
    """`1234.5|money("CNY")` → "1,234.50 CNY", grouped in the active language."""
    number = _as_decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = formats.number_format(number, 2, force_grouping=True)
    return f"{text} {currency}".strip() if currency else text


def date(value, style: str = "short") -> str:
    """`due|date` in SHORT_DATE_FORMAT, `due|date("long")` in DATE_FORMAT."""
    if value is None:
        return ""
    if not isinstance(value, datetime.date):
        raise TypeError(f"date needs a date or a datetime, not {type(value).__name__}")
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if style == "short":
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if style == "long":
        return formats.date_format(value, "DATE_FORMAT")
    raise ValueError(f'date style is "short" or "long", not {style!r}')


FILTERS = {
    "money": money,
    "date": date,
    "upper": jinja_filters.do_upper,
    "lower": jinja_filters.do_lower,
    "title": jinja_filters.do_title,
    "capitalize": jinja_filters.do_capitalize,
    "trim": jinja_filters.do_trim,
    "default": jinja_filters.do_default,
    "round": jinja_filters.do_round,
    "length": len,
    "join": jinja_filters.do_join,
}


# --- The environment ---------------------------------------------------------


def _environment(*, autoescape: bool = True) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=None,
        autoescape=autoescape,
        undefined=StrictUndefined,
        auto_reload=False,
    )
    env.filters = dict(FILTERS)
    env.globals.clear()
    return env


ENVIRONMENT = _environment()
# Plain text (an SMS, a text e-mail): the same sandbox, nothing HTML-escaped ("&" stays "&").
TEXT_ENVIRONMENT = _environment(autoescape=False)


def _problem_from(exc: Exception) -> TemplateProblem:
    if isinstance(exc, TemplateSyntaxError):
        return TemplateProblem(exc.message or str(exc), exc.lineno)
    lineno = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_NAME:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    message = getattr(exc, "message", None) or str(exc)
    return TemplateProblem(message, lineno)


def _parse(source: str) -> nodes.Template:
    if not isinstance(source, str):
        raise TypeError(f"a template's source is a str, not {type(source).__name__}")
    try:
        tree = ENVIRONMENT.parse(source, name=TEMPLATE_NAME)
    except TemplateSyntaxError as exc:
        raise _problem_from(exc) from exc
    for node_type, tag in REFUSED_TAGS.items():
        for node in tree.find_all(node_type):
            raise TemplateProblem(
                f"{{% {tag} %}} is not allowed: a template is one piece of text and cannot load another",
                node.lineno,
            )
    return tree


@functools.lru_cache(maxsize=256)
def _compile(source: str, text: bool = False) -> jinja2.Template:
    tree = _parse(source)
    try:
        return (TEXT_ENVIRONMENT if text else ENVIRONMENT).from_string(tree)
    except TemplateError as exc:
        raise _problem_from(exc) from exc


def plain_data(value, path: str = "context"):
    """`value` as plain data (a copy), or TypeError naming where it is not."""
    if isinstance(value, str):
        return str(value)  # a Markup or SafeString loses its "already safe" mark
    if isinstance(value, PLAIN_SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(plain_data(item, f"{path}[{i}]") for i, item in enumerate(value))
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} has a key {key!r} that is not a str")
            copy[str(key)] = plain_data(item, f"{path}[{key!r}]")
        return copy
    raise TypeError(
        f"{path} is of type {type(value).__module__}.{type(value).__qualname__}: a template "
        "gets plain data only (str, int, Decimal, date, datetime, bool, None, and "
        "lists, tuples and dicts of those), never a model instance or other object"
    )


def render_sandboxed(source: str, context: dict, *, text: bool = False) -> str:
    """
    Render a staff-edited template with plain data; TemplateProblem if it is
    wrong. `text=True` renders plain text (messages): the same sandbox, no HTML escaping.
    """
    if not isinstance(context, dict):
        raise TypeError(f"the context is a dict, not {type(context).__name__}")
    data = plain_data(context)
    template = _compile(source, text)
    try:
        return template.render(data)
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise _problem_from(exc) from exc


def template_check(source: str, variables: set[str]) -> list[str]:
    """The variables the template uses that are not in `variables`, sorted.

    Raises TemplateProblem for a syntax error or a refused tag.
    """
    tree = _parse(source)
    return sorted(meta.find_undeclared_variables(tree) - set(variables))
