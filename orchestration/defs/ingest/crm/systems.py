"""CRM export shapes, one YAML file per system in ``systems/``, mapped onto the CRM contracts.

Adding a CRM vendor is adding a YAML file: its file patterns per entity and, when its headers
are not the contract's, a ``columns`` map from its headers to the contract's field names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestration.lib.contracts import EntityContract
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import READERS

SYSTEMS_DIR = Path(__file__).parent / "systems"


class MappingError(ValueError):
    """A column-mapping file that does not fit the contracts; names the file and the problem."""


def _reader_for(pattern: str, mapping_file: Path):
    suffix = Path(pattern).suffix.lower()
    if suffix not in READERS:
        raise MappingError(f"{mapping_file}: no reader for '{pattern}' (known: {', '.join(sorted(READERS))})")
    return READERS[suffix]


def file_specs(contract: EntityContract, systems_dir: Path = SYSTEMS_DIR) -> list[FileSpec]:
    """Every system's files for one CRM entity, with that system's column mapping."""
    specs = []
    for mapping_file in sorted(systems_dir.glob("*.yaml")):
        config: dict[str, Any] = yaml.safe_load(mapping_file.read_text(encoding="utf-8"))
        entity = (config.get("entities") or {}).get(contract.entity)
        if not entity:
            continue
        columns = entity.get("columns") or {}
        known = {f.name for f in contract.fields}
        unknown = sorted(set(columns.values()) - known)
        if unknown:
            raise MappingError(
                f"{mapping_file}: {contract.entity} maps onto unknown field(s) {', '.join(unknown)}; "
                f"fields are {', '.join(sorted(known))}")
        for pattern in entity["files"]:
            specs.append(FileSpec(pattern, _reader_for(pattern, mapping_file), config["system"], columns))
    return specs
