"""The study-level facts (`dataset.yml`, or the workbook's `dataset` sheet): read and checked.

YAML is parsed safely; a syntax error names its line, a key given twice is refused (YAML
would silently keep the last), and the cut-off may not lie in the future (the report
prints it, and the rule that no date follows the cut-off relies on it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from . import schema
from .problems import Problem
from .reading import file_kind_problem, open_for_reading


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses a mapping key given twice."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (give each field once)", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _mapping_without_duplicates)


def read_metadata(path: Path, problems: list[Problem]) -> dict | None:
    """Read and check `dataset.yml`; on failure append Problems and return None."""
    name = path.name
    kind = file_kind_problem(path, name)
    if kind is not None:
        if kind.rule == "required file is missing":
            kind = Problem(name, "required file is missing (it states the data cut-off and "
                                 "whether the data are synthetic)")
        problems.append(kind)
        return None
    try:
        with open_for_reading(path) as handle:
            data = handle.read(1 << 20)
        meta = yaml.load(data.decode("utf-8-sig"), Loader=_UniqueKeyLoader)
    except PermissionError:
        problems.append(Problem(name, "cannot be read: permission denied (give the reading user "
                                      "access)"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(name, "not UTF-8 text; save it as UTF-8"))
        return None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problems.append(Problem(name, f"not valid YAML: {err.problem or err.context}",
                                line=mark.line + 1 if mark else None))
        return None
    except yaml.YAMLError as err:
        problems.append(Problem(name, f"not valid YAML ({type(err).__name__})"))
        return None
    if not isinstance(meta, dict):
        problems.append(Problem(name, "must be a YAML mapping of the fields title, synthetic, "
                                      "data_cutoff"))
        return None
    return check_metadata(meta, name, problems)


def check_metadata(meta: dict, name: str, problems: list[Problem], line_of=None) -> dict | None:
    """Check the fields (required, synthetic true/false, cut-off an ISO date not in the future).

    `line_of(field)` gives the line (row) of a field where the source has one.
    """
    line_of = line_of or (lambda key: None)
    kind = "row" if line_of("title") is not None else "line"
    ok = True
    for key in schema.METADATA_FIELDS:
        if key not in meta:
            problems.append(Problem(name, "required field is missing", column=key))
            ok = False
    if "synthetic" in meta and not isinstance(meta["synthetic"], bool):
        problems.append(Problem(name, "must be true or false", column="synthetic",
                                value=str(meta["synthetic"]), line=line_of("synthetic"),
                                line_kind=kind))
        ok = False
    if "data_cutoff" in meta:
        cutoff = meta["data_cutoff"]
        if isinstance(cutoff, dt.datetime):
            cutoff = cutoff.date() if cutoff.time() == dt.time() else None
        elif isinstance(cutoff, str):
            try:
                cutoff = dt.date.fromisoformat(cutoff) if len(cutoff) == 10 else None
            except ValueError:
                cutoff = None
        if not isinstance(cutoff, dt.date):
            problems.append(Problem(name, "must be an ISO date YYYY-MM-DD", column="data_cutoff",
                                    value=str(meta["data_cutoff"]), line=line_of("data_cutoff"),
                                    line_kind=kind))
            ok = False
        elif cutoff > dt.date.today():
            problems.append(Problem(name, f"must not be in the future (today is "
                                          f"{dt.date.today().isoformat()})", column="data_cutoff",
                                    value=cutoff.isoformat(), line=line_of("data_cutoff"),
                                    line_kind=kind))
            ok = False
        else:
            meta["data_cutoff"] = cutoff.isoformat()
    return meta if ok else None
