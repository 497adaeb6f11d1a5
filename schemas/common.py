"""Fields and query arguments shared by every resource."""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError, fields, validate

MAX_PAGE = 100  # items of one page, at most
# Most items a list inside a record holds (citations, people, tags, aliases, roles).
MAX_ITEMS = 50


class FullMatch(validate.Regexp):
    """``Regexp`` matching the whole value: ``$`` alone would accept a trailing newline.
    The pattern (as OpenAPI shows it) stays the documented one."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


SLUG = FullMatch(
    r"^[a-z0-9][a-z0-9_-]{0,99}$",
    error="Use 1-100 lowercase letters, digits, '-' or '_', starting with a letter or digit.",
)
# Cursors are base64url (RFC 4648 §5, unpadded); this bound keeps the longest list URL well
# inside gunicorn's request line limit (gunicorn.conf.py, docs/openapi.md).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"  # empty: the first page
MAX_CURSOR = 500
BAD_CURSOR = "Not a cursor of this list and sort order: use the `next` link as given."
# Source URLs: http(s), a host name, then ASCII (an IRI's other characters percent-encoded).
URL_PATTERN = r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][!-~]*)?$"
# Enumerations the OpenAPI document names once (components/schemas), by name: their values
# and, where a value is no identifier, the names generated clients give its members.
ENUMS: dict[str, tuple[str, ...]] = {}
ENUM_VARNAMES: dict[str, tuple[str, ...]] = {}


def named_enum(name: str, values: tuple[str, ...],
               varnames: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Register ``values`` as the enumeration ``name`` of the API's contract."""
    ENUMS[name] = values
    if varnames:
        ENUM_VARNAMES[name] = varnames
    return values


# What no text field holds: C0 control characters (NUL included: PostgreSQL cannot store
# it), lone surrogates and U+FFFE/U+FFFF; none is a character of XML, so one would break
# feed.atom for everyone. Prose may hold tabs and line breaks.
_NOT_TEXT = r"\ud800-\udfff\ufffe\uffff"
_FORBIDDEN = {
    False: re.compile(f"[\\x00-\\x1f{_NOT_TEXT}]"),
    True: re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f{_NOT_TEXT}]"),
}


def check_characters(value: str, prose: bool = False) -> str:
    """Refuse control characters (``prose`` allows tab, LF and CR): the one rule every
    text field, and a source's text, follows."""
    found = _FORBIDDEN[prose].search(value)
    if found:
        raise ValidationError(f"Control character U+{ord(found.group()):04X} at position "
                              f"{found.start()} is not allowed.")
    return value


# Characters that show nothing yet change what a reader sees or compares: bidi marks,
# embeddings, overrides and isolates, and zero-width characters. With them two names could
# look identical, or a title display reversed; no field of a record holds one.
INVISIBLE = r"\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def check_visible(value: str) -> str:
    """``value`` in NFC (one form per character however it was typed), refusing the
    ``INVISIBLE`` characters."""
    found = _INVISIBLE.search(value)
    if found:
        raise ValidationError(f"Invisible or direction-changing character "
                              f"U+{ord(found.group()):04X} at position {found.start()} is "
                              "not allowed.")
    return unicodedata.normalize("NFC", value)


# The same rules in the OpenAPI document (ECMA-262 and Python ``re`` read these escapes
# alike), so clients and fuzzers know what a text field refuses.
TEXT_PATTERNS = {
    False: r"^[^\u0000-\u001f\ufffe\uffff" + INVISIBLE + "]*$",
    True: r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff" + INVISIBLE + "]*$",
}


class String(fields.String):
    """Text without control characters (``prose=True``: tabs and line breaks allowed) or
    invisible ones, in NFC."""

    def __init__(self, *, prose: bool = False, **kwargs: Any) -> None:
        validators = kwargs.get("validate") or ()
        if not isinstance(validators, list | tuple):
            validators = (validators,)
        if not any(isinstance(v, validate.Regexp) for v in validators):  # its own pattern
            kwargs["metadata"] = {"pattern": TEXT_PATTERNS[prose], **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.prose = prose

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return check_visible(check_characters(text, self.prose))


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: ``0``, ``1`` and ``"yes"`` are refused (as the OpenAPI document
    says), where marshmallow's ``Boolean`` would read them as true or false."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Digits(fields.Integer):
    """An integer in ASCII digits only (``int()`` alone accepts other scripts and ``5_0``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,18}", value):
            raise ValidationError("Use ASCII digits only (0-9).")
        return super()._deserialize(value, attr, data, **kwargs)


def Items(inner: fields.Field, max: int = MAX_ITEMS, min: int = 0, **kwargs: Any) -> fields.List:
    """A bounded list (OpenAPI shows minItems/maxItems)."""
    return fields.List(inner, validate=validate.Length(min=min, max=max), **kwargs)


def Slug(**kwargs: Any) -> fields.String:
    """A stable, URL-safe identifier."""
    kwargs["metadata"] = {"example": "soyuz-ms-19-launch", **kwargs.get("metadata", {})}
    return String(validate=SLUG, **kwargs)


def Text(**kwargs: Any) -> fields.String:
    """Free text that may be absent (``null``)."""
    kwargs.setdefault("allow_none", True)
    kwargs.setdefault("load_default", None)
    return String(prose=True, validate=validate.Length(max=5000), **kwargs)


def Computed(function: Any, json_schema: dict[str, Any], **kwargs: Any) -> fields.Function:
    """A dump-only value computed by ``function``, typed in the OpenAPI document by
    ``json_schema`` (so generated clients type it too)."""
    kwargs["metadata"] = {**json_schema, **kwargs.get("metadata", {})}
    return fields.Function(function, dump_only=True, **kwargs)


URL = {"type": "string", "format": "uri"}


def links(endpoint: str, **related: tuple[str, str, str] | tuple[str, dict[str, str]]
          ) -> fields.Function:
    """A dump-only ``links`` object: ``self``, plus ``name=(endpoint, url_arg, attribute)``
    or ``name=(endpoint, {url_arg: attribute, ...})`` (arguments the route does not take
    become the query string); a link whose attribute is ``None`` is left out."""

    def build(obj: Any) -> dict[str, str]:
        out = {"self": url_for(endpoint, id=obj.id, _external=True)}
        for name, (target, *spec) in related.items():
            args = spec[0] if isinstance(spec[0], dict) else {spec[0]: spec[1]}
            values = {arg: getattr(obj, attr) for arg, attr in args.items()}
            if None not in values.values():
                out[name] = url_for(target, **values, _external=True)
        return out

    return Computed(build, {
        "type": "object", "required": ["self"], "additionalProperties": False,
        "properties": {name: URL for name in ("self", *related)},
        "description": "Absolute URLs of this record (`self`) and of what it relates to."})


class PageQuerySchema(Schema):
    """Keyset pagination: follow ``next`` (or the ``Link: rel=next`` header)."""

    limit = Digits(
        load_default=20,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"Items per page, 1 to {MAX_PAGE}."},
    )
    cursor = fields.String(
        validate=[validate.Length(max=MAX_CURSOR),
                  validate.Regexp(CURSOR_PATTERN, error=BAD_CURSOR)],
        metadata={"description": "Opaque position: a previous page's `next_cursor` or "
                  "`prev_cursor` (the cursor of its `next` or `prev` link)."},
    )
    count = fields.Boolean(
        load_default=False,
        metadata={"description": "`true`: the page carries `count`, the exact number of "
                  "items in the whole list (all pages)."},
    )


def merge_paths(schema: Schema, prefix: str = "") -> list[str]:
    """Every field of ``schema`` and of the objects nested in it (lists aside), by dotted
    path: what a merge patch may leave out at each level (RFC 7396)."""
    paths = []
    for name, field in schema.fields.items():
        paths.append(prefix + name)
        if isinstance(field, fields.Nested) and not field.many:
            paths += merge_paths(field.schema, f"{prefix}{name}.")
    return paths


@functools.cache
def patch_of(schema_cls: type[Schema]) -> type[Schema]:
    """The schema of a merge patch (RFC 7396) of ``schema_cls``: the same fields, none
    required, nested objects too (they merge into the stored ones, and are documented as
    patches of their own); a list is replaced whole, so its items are validated in full.
    Schema-level checks wait for the merged record, which ``schema_cls`` itself validates
    (they see ``partial`` set meanwhile)."""
    partial = tuple(merge_paths(schema_cls()))

    def __init__(self: Schema, **kwargs: Any) -> None:
        schema_cls.__init__(self, partial=partial, **kwargs)

    nested = {}
    for name, field in schema_cls._declared_fields.items():
        if isinstance(field, fields.Nested) and not field.many and not field.dump_only:
            probe = copy.copy(field)  # the class-level field stays unbound
            nested[name] = copy.copy(field)
            nested[name].nested = patch_of(type(probe.schema))
    name = schema_cls.__name__.removesuffix("Schema") + "PatchSchema"
    doc = f"The fields of {schema_cls.__name__.removesuffix('Schema')} to change."
    return type(name, (schema_cls,), {"__init__": __init__, "__doc__": doc, **nested})


def _nullable_string(description: str) -> fields.String:
    """A page's link or cursor field: always present, null where there is none."""
    return fields.String(allow_none=True, required=True, metadata={"description": description})


def page_of(item_schema: type[Schema], page_name: str | None = None,
            **extra: fields.Field) -> type[Schema]:
    """The schema of a page of ``item_schema`` (named ``page_name``, by default after the
    item): ``{"items": [...], "next": url|null, "prev": url|null, "next_cursor",
    "prev_cursor", "count", **extra}``."""
    name = page_name or item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next": _nullable_string("Absolute URL of the next page, or null."),
            "prev": _nullable_string("Absolute URL of the previous page, or null on the "
                                     "first page."),
            "next_cursor": _nullable_string("The `cursor` of the next page (what `next` "
                                            "carries), or null on the last page."),
            "prev_cursor": _nullable_string("The `cursor` of the previous page, or null on "
                                            "the first page."),
            "count": fields.Integer(
                allow_none=True,
                required=True,
                metadata={"description": "With `count=true`: how many items the whole list "
                          "holds, exactly (all pages); otherwise null."},
            ),
            **extra,
        },
        name=name,
    )


def flatten_errors(messages: Any, path: str = "") -> list[tuple[str, str]]:
    """Turn marshmallow's nested error messages into ``(dotted.field, message)`` pairs."""
    if isinstance(messages, dict):
        return [
            pair
            for key, value in messages.items()
            for pair in flatten_errors(value, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, message) for message in messages]
    if isinstance(messages, list):
        return [pair for item in messages for pair in flatten_errors(item, path)]
    return [(path, str(messages))]


class QuoteRefSchema(Schema):
    """A verbatim quote from a source, named by the source and the words themselves.

    In an event it must lie within one of the event's citations of that source (so it is
    verified with it); in a source, within the source's own text.
    """

    source = Slug(required=True, metadata={"example": "003_edd1603faf14b1a0"})
    quote = String(
        prose=True, required=True, validate=validate.Length(1, 1000),
        metadata={"description": "Verbatim, as in (part of) a citation of that source.",
                  "example": "taking off on Tuesday morning"},
    )
