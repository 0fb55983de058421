"""Reading YAML that keeps line numbers and leaves dates as text, so every problem has a line."""

from collections.abc import Hashable
from typing import Any

import yaml

from agreements.loader.results import AgreementFileError


class _Map(dict):
    line: int = 1
    key_lines: dict[Hashable, int]


class _Seq(list):
    line: int = 1
    item_lines: list[int]


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """A SafeLoader that keeps line numbers and leaves dates as text, so a bad date has a line."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = _Map()
    data.line, data.key_lines = node.start_mark.line + 1, {}
    yield data
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f'key "{key}" appears twice in one mapping', key_node.start_mark
            )
        data[key] = loader.construct_object(value_node)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item) for item in node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _parse(*, text: str, source: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "cannot be read"
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise AgreementFileError(f"{source} line {line}: YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise AgreementFileError(f"{source} line 1: YAML syntax error: {exc}") from exc
    finally:
        loader.dispose()
