"""Ids in URLs are ASCII digits only: another script's digits (full-width ２, Arabic-Indic ٢) name nothing."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, IntegerConverter

from tests import factories

_OTHER_DIGITS = {"full-width": 0xFF10, "arabic-indic": 0x0660, "devanagari": 0x0966}


def _written_in(number: int, zero: int) -> str:
    return "".join(chr(zero + int(digit)) for digit in str(number))


@pytest.mark.parametrize("zero", _OTHER_DIGITS.values(), ids=_OTHER_DIGITS.keys())
def test_a_post_id_in_other_digits_is_not_found_and_deletes_nothing(make_visitor, zero):
    instructor = factories.user("Ina Instructor")
    course = factories.course(instructor)
    reading = factories.reading(course, title="Kolyma Tales")
    visitor = make_visitor(instructor)
    url = f"/c/{course.slug}/posts/{reading.id}"
    assert visitor.get(url).status_code == 200

    other = f"/c/{course.slug}/posts/{_written_in(reading.id, zero)}"
    assert visitor.post(f"{other}/delete").status_code == 404
    assert factories.reload(reading).deleted_at is None
    assert visitor.get(other).status_code == 404


def test_no_route_takes_an_id_in_other_digits(app):
    # Every <int:…> in every rule: the ASCII URL reaches the rule, the same URL in full-width digits does not.
    urls = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        numbers = [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
        if not numbers:
            continue
        method = min(rule.methods - {"HEAD", "OPTIONS"})
        values = {name: 7 if name in numbers else _any_value(rule._converters.get(name)) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        assert urls.match(path, method)[0] == rule.endpoint, path
        wide = path.replace("7", _written_in(7, _OTHER_DIGITS["full-width"]))
        try:
            endpoint = urls.match(wide, method)[0]
        except HTTPException:  # NotFound or MethodNotAllowed: no rule takes it
            endpoint = None
        assert endpoint != rule.endpoint, wide
        checked += 1
    assert checked > 20


def _any_value(converter) -> str:
    """A value the converter takes: the first of an <any(…)>'s words, else a plain word."""
    return min(converter.items) if isinstance(converter, AnyConverter) else "x"
