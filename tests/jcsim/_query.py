"""Listing system users: limit/skip, sort, fields, and both filter languages.

- query `filter` (V1): `field:$op:value`, repeatable and ANDed; the `$`-less form `field:op:value`
  is accepted too (JumpCloud's CLI sends the first, third-party clients the second); also the
  indexed forms `filter[N]=` (AND) and `filter[or][N]=` (OR) of JumpCloud's newer docs.
- search body `filter`: {"and": [...]}, {"or": [...]}, a list (AND) or an object of {field: value}
  (AND); a value is a literal (equality) or {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte"|"$in"|"$nin": x}.
- `searchFilter` / query `search`: {"searchTerm": str | [str], "fields": [str]}, partial match.
Unknown fields and values of the wrong type are 400s (unconfirmed: a document store would
just match nothing; the stricter answer surfaces client bugs).
"""

import json
import operator
import re

from ._schema import NULLABLE_DATES, USER_FIELD_KINDS
from ._util import ApiError

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
            "lte": operator.le}
_INDEXED_FILTER = re.compile(r"^filter(\[or\])?\[\d+\]$")


def is_filter_param(key):
    return key == "filter" or bool(_INDEXED_FILTER.match(key))


def _bad(message):
    return ApiError(400, message)


def field_kind(name, allow_complex=False, kinds=None):
    """The kind (str, bool, int, complex) of a filterable/sortable field of `kinds` (default: users')."""
    kind = (USER_FIELD_KINDS if kinds is None else kinds).get(name)
    if kind is None:
        raise _bad("unknown field: %s" % name)
    if kind == "complex" and not allow_complex:
        raise _bad("field %s cannot be filtered or sorted on" % name)
    return kind


def to_int(value, name, minimum, maximum=None):
    """An integer parameter from the query (text) or a body (already an int)."""
    if isinstance(value, str):
        if not re.fullmatch(r"-?\d+", value):
            raise _bad("%s must be an integer" % name)
        value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        raise _bad("%s must be between %d and %s" % (name, minimum, maximum if maximum is not None else "any"))
    return value


def paging(limit, skip):
    """(limit, skip): limit defaults to 10 and may not exceed 100; limit 0 is refused (unconfirmed)."""
    limit = DEFAULT_LIMIT if limit is None else to_int(limit, "limit", 1, MAX_LIMIT)
    skip = 0 if skip is None else to_int(skip, "skip", 0)
    return limit, skip


def parse_fields(text, kinds=None):
    """Projection: the named fields plus `_id` (always returned); None for the default (all) fields."""
    if text is None or not text.strip():
        return None
    names = text.split()
    for name in names:
        field_kind(name, allow_complex=True, kinds=kinds)
    return ["_id"] + [name for name in names if name != "_id"]


def project(rec, fields):
    return dict(rec) if fields is None else {name: rec[name] for name in fields}


def parse_sort(text, kinds=None):
    """[(field, descending)] from a space-separated list; `-field` sorts descending."""
    order = []
    for item in (text or "").split():
        name = item[1:] if item.startswith("-") else item
        field_kind(name, kinds=kinds)
        order.append((name, item.startswith("-")))
    return order


def _matches(op, actual, target):
    if op in ("eq", "ne"):
        return (actual == target) == (op == "eq")
    if actual is None or target is None:
        return False
    return _COMPARE[op](actual, target)


class Query:
    """A compiled predicate over records plus the fields it reads (to refresh time-dependent ones).
    kinds: {field: kind} of the records (default: system users'); nullable: fields that may be null."""

    def __init__(self, kinds=None, nullable=None):
        self.kinds = USER_FIELD_KINDS if kinds is None else kinds
        self.nullable = NULLABLE_DATES if nullable is None else nullable
        self.fields = set()

    def term(self, field, op, target):
        self.fields.add(field)
        return lambda rec: _matches(op, rec.get(field), target)

    # --- V1 query-string filters -------------------------------------------------------------

    def from_query(self, query):
        """Predicate for the filter parameters in `query` (removed from it, so the rest can be checked)."""
        all_of, any_of = [], []
        for key in list(query):
            if is_filter_param(key):
                indexed = _INDEXED_FILTER.match(key)
                target = any_of if indexed and indexed.group(1) else all_of
                target.extend(self._query_term(text) for text in query.pop(key))
        if not all_of and not any_of:
            return None
        return lambda rec: all(test(rec) for test in all_of) and (not any_of or any(test(rec) for test in any_of))

    def _query_term(self, text):
        parts = text.split(":", 2)
        if len(parts) != 3:
            raise _bad("filter must be field:operator:value")
        field, op, value = parts
        name = op[1:] if op.startswith("$") else op
        if name not in _COMPARE:
            raise _bad("unsupported filter operator: %s" % op)
        return self.term(field, name, self._coerce(field, value))

    def _coerce(self, field, text):
        kind = field_kind(field, kinds=self.kinds)
        if text == "null" and field in self.nullable:
            return None
        if kind == "bool":
            if text not in ("true", "false"):
                raise _bad("filter value for %s must be true or false" % field)
            return text == "true"
        if kind == "int":
            return to_int(text, "filter value for %s" % field, -2 ** 63)
        return text

    # --- search-body filters -----------------------------------------------------------------

    def from_body(self, spec):
        if spec is None:
            return None
        if isinstance(spec, list):
            if not spec:
                raise _bad("filter list must not be empty")
            terms = [self.from_body(item) for item in spec]
            return lambda rec: all(test(rec) for test in terms)
        if not isinstance(spec, dict):
            raise _bad("filter must be an object or a list")
        if len(spec) == 1 and next(iter(spec)) in ("and", "or"):
            key, items = next(iter(spec.items()))
            if not isinstance(items, list) or not items:
                raise _bad("filter.%s must be a non-empty list" % key)
            terms = [self.from_body(item) for item in items]
            combine = all if key == "and" else any
            return lambda rec: combine(test(rec) for test in terms)
        terms = [self._body_term(field, value) for field, value in spec.items()]
        return lambda rec: all(test(rec) for test in terms)

    def _body_term(self, field, value):
        kind = field_kind(field, kinds=self.kinds)
        if not isinstance(value, dict):
            return self.term(field, "eq", self._typed(field, kind, value))
        if not value:
            raise _bad("filter for %s has no operator" % field)
        terms = []
        for op, operand in value.items():
            name = op[1:] if op.startswith("$") else None
            if name in _COMPARE:
                terms.append(self.term(field, name, self._typed(field, kind, operand)))
            elif name in ("in", "nin") and isinstance(operand, list):
                targets = [self._typed(field, kind, item) for item in operand]
                self.fields.add(field)
                terms.append(lambda rec, targets=targets, want=name == "in": (rec.get(field) in targets) == want)
            else:
                raise _bad("unsupported filter operator for %s: %s" % (field, op))
        return lambda rec: all(test(rec) for test in terms)

    def _typed(self, field, kind, value):
        expected = {"bool": (bool,), "int": (int,), "str": (str,)}[kind]
        if value is None and field in self.nullable:
            return None
        if not isinstance(value, expected) or (kind == "int" and isinstance(value, bool)):
            raise _bad("filter value for %s must be of type %s" % (field, kind))
        return value

    # --- text search ---------------------------------------------------------------------------

    def from_search(self, spec):
        """Partial, case-sensitive match of any term in any listed field (case: unconfirmed, stricter)."""
        if spec is None:
            return None
        if not isinstance(spec, dict) or set(spec) != {"searchTerm", "fields"}:
            raise _bad("searchFilter needs exactly searchTerm and fields")
        terms = spec["searchTerm"]
        terms = [terms] if isinstance(terms, str) else terms
        fields = spec["fields"]
        if not isinstance(terms, list) or not terms or not all(isinstance(term, str) and term for term in terms):
            raise _bad("searchTerm must be a non-empty string or list of strings")
        if not isinstance(fields, list) or not fields or not all(isinstance(name, str) for name in fields):
            raise _bad("searchFilter.fields must be a non-empty list of field names")
        for name in fields:
            if field_kind(name, kinds=self.kinds) != "str":
                raise _bad("field %s is not text" % name)
        self.fields.update(fields)
        return lambda rec: any(term in (rec.get(name) or "") for name in fields for term in terms)

    def from_search_text(self, text):
        """The query `search` parameter: the same object, JSON-encoded (unconfirmed: JSON only)."""
        if text is None:
            return None
        try:
            spec = json.loads(text)
        except ValueError as exc:
            raise _bad("search must be a JSON object with searchTerm and fields") from exc
        return self.from_search(spec)


def sort_users(users, order):
    """`users` sorted by `order` [(field, descending)]; None sorts first, as null does in a document store."""
    return sort_records(users, order, lambda user: user.rec)


def sort_records(items, order, record=lambda item: item, ignore_case=False):
    """`items` sorted by `order` [(field, descending)] of their `record(item)` dicts; None first.
    ignore_case: text compares case-folded (the organisations list's sortIgnoreCase)."""
    for name, descending in reversed(order):
        keys = [record(item).get(name) for item in items]
        if ignore_case:
            keys = [key.casefold() if isinstance(key, str) else key for key in keys]
        if None in keys:
            keys = [(key is not None, key) for key in keys]
        # Sorting indices with a C-level key is several times faster than a Python key per user.
        items = [items[index] for index in sorted(range(len(items)), key=keys.__getitem__, reverse=descending)]
    return items


def select(users, tests, record=lambda user: user.rec):
    """The users (or any items, with `record`) passing every test (None stands for "match all"), order kept."""
    tests = [test for test in tests if test is not None]
    if not tests:
        return users
    return [user for user in users if all(test(record(user)) for test in tests)]


def v2_filter(text, filterable):
    """One v2 filter `field:operator:value` as a predicate, with every operator the V2 spec lists: eq, ne, gt, ge,
    lt, le, between (`low,high`, both included), search (substring) and in (values split by |). The text forms of
    in's and between's values are unconfirmed; the fields compared here (ids, types, names) are text, compared as
    text. An operator the spec does not list is a 400."""
    parts = text.split(":", 2)
    if len(parts) != 3:
        raise _bad("filter must be field:operator:value")
    field, op, value = parts
    if field not in filterable:
        raise _bad("field %s cannot be filtered on" % field)
    if op == "between":
        bounds = value.split(",")
        if len(bounds) != 2:
            raise _bad("filter operator between takes two values, low,high")
        low, high = bounds
        return lambda record: isinstance(record.get(field), str) and low <= record.get(field) <= high
    ordered = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
    tests = {"eq": lambda actual: actual == value, "ne": lambda actual: actual != value,
             "in": lambda actual: actual in value.split("|"),
             "search": lambda actual: isinstance(actual, str) and value in actual}
    tests.update({name: (lambda actual, compare=compare: isinstance(actual, str) and compare(actual, value))
                  for name, compare in ordered.items()})
    if op not in tests:
        raise _bad("unsupported filter operator: %s" % op)
    return lambda record: tests[op](record.get(field))
