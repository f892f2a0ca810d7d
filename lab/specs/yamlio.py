"""Load YAML files into pydantic models with errors a person can act on.

A failure names the file, the line, the path inside the document and what is
allowed, e.g.::

    examples/snar_flow.yaml:14: parameters[2].bounds: lower 120 must be < upper 30
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
MAX_MAGNITUDE = 1e15
"""Largest absolute number a campaign or lab file may hold (no lab quantity comes near)."""


class SpecError(Exception):
    """A campaign or lab file is malformed; the message lists every problem found."""


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys and non-finite or absurdly large numbers."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, typing.Hashable) and key in seen:
                raise _Refused(line, f"duplicate key {key!r} (first at line {seen[key]}); keep one")
            if isinstance(key, typing.Hashable):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        return _sane(super().construct_yaml_float(node), node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        return _sane(super().construct_yaml_int(node), node)


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _sane(value: Any, node: yaml.ScalarNode) -> Any:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise _Refused(
            node.start_mark.line + 1,
            f"number {node.value!r} is not a finite value within ±{MAX_MAGNITUDE:.0e}; "
            "write the quantity in the unit the key names",
        )
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_yaml_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
_StrictLoader.add_implicit_resolver(  # YAML 1.2 floats (1e308, 5E-3), not strings
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


MAX_FILE_BYTES = 2_000_000
"""Largest campaign or lab file read (far beyond any real one)."""


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Read ``path`` and return the data and its node tree (for line numbers).

    Messages are one line and never echo the file's bytes.

    Raises:
        SpecError: The file is missing, too large, not text, or not valid YAML.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError(
                f"{path}: {size:,} bytes, more than {MAX_FILE_BYTES:,}: not a campaign or lab file"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "a campaign or lab file is YAML text"
        ) from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader), yaml.compose(text)
    except _Refused as exc:
        raise SpecError(f"{path}:{exc.line}: {exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise SpecError(
            f"{path}:{line}: not a text file: control character #x{exc.character:04x} at "
            f"offset {exc.position}; a campaign or lab file is YAML text"
        ) from None
    except yaml.YAMLError as exc:
        marked = exc if isinstance(exc, yaml.MarkedYAMLError) else None
        mark = marked.problem_mark if marked else None
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = (marked.problem if marked else None) or str(exc).splitlines()[0]
        raise SpecError(f"{where}: malformed YAML: {_printable(problem)}") from None


def _printable(text: str, limit: int = 200) -> str:
    """``text`` on one line, non-printable characters escaped, at most ``limit`` characters."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text.replace("\n", " "))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def load_model(path: Path, model: type[M]) -> M:
    """Load and validate ``path`` as ``model``.

    Raises:
        SpecError: One line per problem: file, line, YAML path and message.
    """
    return load_model_and_tree(path, model)[0]


def load_model_and_tree(
    path: Path, model: type[M], context: dict[str, Any] | None = None
) -> tuple[M, yaml.Node | None]:
    """Like :func:`load_model`, also returning the YAML node tree for later messages.

    ``context`` is handed to the model's validators (e.g. the file's folder).
    """
    data, tree = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(
            f"{path}: expected a mapping of keys (name: ..., ...), got {type(data).__name__}"
        )
    try:
        return model.model_validate(data, context=context), tree
    except ValidationError as exc:
        errors = _without_cascades(exc.errors())
        raise SpecError("\n".join(format_error(path, tree, model, e) for e in errors)) from None


def locate(path: Path, tree: yaml.Node | None, where: str) -> str:
    """Return ``file:line: where`` for a YAML path such as ``protocol.inputs[0].name``."""
    loc: list[str | int] = [
        int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", where)
    ]
    line = _line_of(tree, loc)
    return f"{path}:{line}: {where}" if line and where else f"{path}: {where}"


def _without_cascades(errors: list[Any]) -> list[Any]:
    """Drop "too short" errors of a list whose items already failed (one cause, one line)."""
    failed = {tuple(e["loc"][:1]) for e in errors if len(e["loc"]) > 1}
    return [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in failed)]


def format_error(path: Path, tree: yaml.Node | None, model: type[BaseModel], error: Any) -> str:
    """Format one pydantic error as ``file:line: yaml.path: message``."""
    loc = _strip_union_tags(error["loc"])
    where = _yaml_path(loc)
    line = _line_of(tree, loc)
    prefix = f"{path}:{line}" if line else str(path)
    return f"{prefix}: {where + ': ' if where else ''}{_message(error, model, loc)}"


def _message(error: Any, model: type[BaseModel], loc: Sequence[str | int]) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        context = error.get("ctx") or {}
        tags = str(context.get("expected_tags", "")).replace("'", "")
        key = str(context.get("discriminator", "type")).strip("'")
        return f"unknown {key} {context.get('tag')!r}; allowed: {tags}"
    if kind in ("literal_error", "enum"):
        return f"{error.get('input')!r} is not allowed; {message}"
    return message


_UNION_TAGS = {
    "float",
    "int",
    "categorical",
    "ordinal",
    "molecule",
    "str",
    "function-after",
    "function-before",
    "function-wrap",
    "list[str]",
    "dict[str,str]",
    "flow_reactor",
    "hte_plate",
    "pathway",
}


def _strip_union_tags(loc: Sequence[Any]) -> list[str | int]:
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part in _UNION_TAGS or part.startswith(("function-", "json-"))
        ):
            continue
        out.append(part)
    return out


def _yaml_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _line_of(tree: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    node = tree
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int] = ()) -> list[str]:
    """Follow ``loc`` through the model's fields and list the keys allowed there."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    return sorted(current.model_fields) if _is_model(current) else []


def _descend(annotation: Any, part: str | int) -> Any:
    if _is_model(annotation) and isinstance(part, str) and part in annotation.model_fields:
        return _unwrap(annotation.model_fields[part].annotation)
    if isinstance(part, int):
        args = typing.get_args(annotation)
        return _unwrap(args[0]) if args else None
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Optional``/``Annotated``; keep containers for indexing."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
