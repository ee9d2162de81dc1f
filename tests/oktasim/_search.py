"""The `search` and `filter` expressions of GET /api/v1/users: parsed and evaluated on a user's JSON.

search: eq, sw, co (co only on profile.firstName, lastName, email, login), pr, gt, ge, lt, le; and, or,
parentheses; property names case-sensitive, operators and values not. filter: only status, lastUpdated,
id, profile.login, profile.email, profile.firstName, profile.lastName with eq (lastUpdated also gt, ge,
lt, le). A malformed expression raises ValueError.
"""

import re

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.]*))')
OPERATORS = ("eq", "sw", "co", "pr", "gt", "ge", "lt", "le")
_CONTAINS = ("profile.firstName", "profile.lastName", "profile.email", "profile.login")
FILTER_FIELDS = ("status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName",
                 "profile.lastName")


def _tokens(text):
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise ValueError("unexpected text in the expression")
        position = found.end()
        if found.group(1):
            tokens.append(("(", None))
        elif found.group(2):
            tokens.append((")", None))
        elif found.group(3) is not None:
            tokens.append(("value", found.group(3).replace('\\"', '"')))
        else:
            tokens.append(("word", found.group(4)))
    return tokens


def _either(left, right):
    return lambda user: left(user) or right(user)


def _both(left, right):
    return lambda user: left(user) and right(user)


def parse(text, mode="search"):
    """A predicate on a user's JSON; ValueError for an expression the mode does not take."""
    tokens = _tokens(text)
    position = [0]

    def peek():
        return tokens[position[0]] if position[0] < len(tokens) else (None, None)

    def take():
        token = peek()
        position[0] += 1
        return token

    def expression():
        left = term()
        while peek()[0] == "word" and peek()[1].lower() == "or":
            take()
            left = _either(left, term())
        return left

    def term():
        left = factor()
        while peek()[0] == "word" and peek()[1].lower() == "and":
            take()
            left = _both(left, factor())
        return left

    def factor():
        kind, value = take()
        if kind == "(":
            inner = expression()
            if take()[0] != ")":
                raise ValueError("unbalanced parentheses")
            return inner
        if kind != "word":
            raise ValueError("a property name was expected")
        name = value
        kind, operator = take()
        if kind != "word" or operator.lower() not in OPERATORS:
            raise ValueError("an operator was expected")
        operator = operator.lower()
        if mode == "filter":
            if name not in FILTER_FIELDS:
                raise ValueError("filter does not take this property")
            if operator != "eq" and not (name == "lastUpdated" and operator in ("gt", "ge", "lt", "le")):
                raise ValueError("filter takes only eq")
        if operator == "co" and name not in _CONTAINS:
            raise ValueError("co is only for firstName, lastName, email and login")
        if operator == "pr":
            return lambda user: _lookup(user, name) not in (None, "")
        kind, operand = take()
        if kind != "value":
            raise ValueError("a quoted value was expected")
        return _compare(name, operator, operand)

    predicate = expression()
    if position[0] != len(tokens):
        raise ValueError("unexpected text after the expression")
    return predicate


def _lookup(user, name):
    value = user
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _compare(name, operator, operand):
    wanted = operand.lower()

    def test(user):
        value = _lookup(user, name)
        if value is None:
            return False
        value = str(value).lower()
        if operator == "eq":
            return value == wanted
        if operator == "sw":
            return value.startswith(wanted)
        if operator == "co":
            return wanted in value
        return {"gt": value > wanted, "ge": value >= wanted, "lt": value < wanted, "le": value <= wanted}[operator]
    return test
