"""A structural reading of PromQL, enough to check alert rules and dashboards without a server.

No pure-Python PromQL parser is kept up on PyPI, so this reads what the checks need: the tokens
are all valid PromQL tokens, brackets balance and nest, ranges hold durations, label matchers
are `label op "value"`, functions are PromQL's, and it returns every metric selector (name and
matched labels) and every label an aggregation or vector match groups by. It does not check
types (a range vector where an instant one is due): Prometheus refuses those when it loads the
rule, and the names are what drift with the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    |(?P<duration>(?:\d+(?:ms|[smhdwy]))+(?![\w.]))
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<variable>\$\{\w+\}|\$\w+)
    |(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    |(?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,:@])
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])""",
    re.X,
)
PAIRS = {"(": ")", "[": "]", "{": "}"}
AGGREGATIONS = {
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
}
FUNCTIONS = AGGREGATIONS | {
    "abs",
    "absent",
    "absent_over_time",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "time",
    "timestamp",
    "vector",
    "year",
}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = GROUPING | {"and", "or", "unless", "bool", "offset"}
MATCH_OPS = {"=", "!=", "=~", "!~"}


class PromQLError(ValueError):
    pass


@dataclass
class Selector:
    metric: str
    labels: set[str] = field(default_factory=set)


@dataclass
class Reading:
    selectors: list[Selector] = field(default_factory=list)
    grouping_labels: set[str] = field(default_factory=set)

    @property
    def metrics(self) -> set[str]:
        return {s.metric for s in self.selectors}


def tokens(expr: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(expr):
        match = TOKEN.match(expr, position)
        if not match:
            raise PromQLError(f"unexpected {expr[position : position + 10]!r} at {position}")
        if match.lastgroup != "space":
            found.append((match.lastgroup, match.group()))
        position = match.end()
    return found


def read(expr: str) -> Reading:
    """Check `expr` structurally and return what it selects and groups by; raise PromQLError."""
    items = tokens(expr)
    if not items:
        raise PromQLError("empty expression")
    _check_brackets(items)
    if items[-1][0] == "op" or items[0][1] in {"*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", ","}:
        raise PromQLError("an operator lacks an operand")
    reading, i = Reading(), 0
    while i < len(items):
        kind, text = items[i]
        following = items[i + 1][1] if i + 1 < len(items) else None
        if kind == "open" and text == "[":
            i = _read_range(items, i)
            continue
        if kind == "ident" and text in GROUPING:
            if following == "(":
                labels, i = _read_label_list(items, i + 1)
                reading.grouping_labels |= labels
                continue
            if text in {"group_left", "group_right"}:
                i += 1
                continue
            raise PromQLError(f"`{text}` needs a label list")
        if kind == "ident" and text in KEYWORDS:
            i += 1
            continue
        if kind == "ident" and following == "(":
            if text not in FUNCTIONS:
                raise PromQLError(f"unknown function {text}()")
            i += 1
            continue
        if kind == "ident" and text in AGGREGATIONS and following in {"by", "without"}:
            i += 1
            continue
        if kind == "ident" and text in FUNCTIONS and text not in AGGREGATIONS and following != "(":
            raise PromQLError(f"{text} must be called")
        if kind == "ident" or (kind == "open" and text == "{"):
            selector = Selector(text if kind == "ident" else "")
            i += 1 if kind == "ident" else 0
            if i < len(items) and items[i][1] == "{":
                i = _read_matchers(items, i, selector)
            if not selector.metric:
                raise PromQLError("a selector without a metric name")
            reading.selectors.append(selector)
            continue
        i += 1
    return reading


def _check_brackets(items) -> None:
    stack = []
    for kind, text in items:
        if kind == "open":
            stack.append(text)
        elif kind == "close":
            if not stack or PAIRS[stack.pop()] != text:
                raise PromQLError(f"unbalanced {text!r}")
    if stack:
        raise PromQLError(f"unclosed {stack[-1]!r}")


def _read_range(items, i) -> int:
    """`[5m]`, `[$__rate_interval]` or a subquery `[1h:5m]`; index after the `]`."""
    inner = []
    i += 1
    while items[i][1] != "]":
        inner.append(items[i])
        i += 1
    shape = [kind for kind, _ in inner]
    if shape not in (["duration"], ["variable"], ["duration", "op", "duration"], ["duration", "op"]):
        raise PromQLError(f"a range must be a duration, not {' '.join(t for _, t in inner)!r}")
    return i + 1


def _read_label_list(items, i) -> tuple[set[str], int]:
    labels = set()
    i += 1  # past "("
    while items[i][1] != ")":
        kind, text = items[i]
        if kind == "ident":
            labels.add(text)
        elif text != ",":
            raise PromQLError(f"a label list holds label names, not {text!r}")
        i += 1
    return labels, i + 1


def _read_matchers(items, i, selector: Selector) -> int:
    i += 1  # past "{"
    while items[i][1] != "}":
        if items[i][1] == ",":
            i += 1
            continue
        if items[i][0] == "string" and not selector.metric:  # {"metric_name"} form of Prometheus 3
            selector.metric = items[i][1].strip("\"'`")
            i += 1
            continue
        name, op, value = items[i], items[i + 1], items[i + 2]
        if name[0] != "ident" or op[1] not in MATCH_OPS or value[0] != "string":
            raise PromQLError(f'a label matcher is label op "value", not {name[1]} {op[1]} {value[1]}')
        if name[1] == "__name__" and op[1] == "=":
            selector.metric = value[1].strip("\"'`")
        else:
            selector.labels.add(name[1])
        i += 3
    return i + 1
