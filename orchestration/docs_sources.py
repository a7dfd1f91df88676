"""Render ``docs/sources.md`` from the contracts, the CRM column mappings and a generated sample.

The document is derived, never hand-edited: field lists come from the one contract declaration
per entity, vendor headers from ``systems/*.yaml``, and each example is the first value of that
column in a generated sample that passes its contract. ``funnel docs`` rewrites it and a test
fails when it is out of date.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.contracts import EntityContract
from orchestration.lib.errors import RowError

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "sources.md"
EXAMPLE_CONFIG = GeneratorConfig(customers=200, days=120, seed=5)

INTRO = """\
# Source extracts

What the pipeline accepts from each of the four systems, entity by entity. **Generated** from the
contracts in `orchestration/defs/ingest/<source>/contracts.py` (one declaration per entity, which
the loader enforces), the CRM column mappings in `orchestration/defs/ingest/crm/systems/*.yaml`,
and a generated sample for the examples. Do not edit by hand: run `funnel docs`.

## Deliveries

Each source delivers into `landing/<source>/<YYYY-MM-DD>/`, the folder named by the delivery date
(the nightly export after midnight carries the previous day's activity; file names carry the
activity date, e.g. `Lead_20250701.csv` in `crm/2025-07-02/`). Exports are incremental: a record
appears again on each day it changed, and the latest delivered version wins. The same file
content delivered twice is loaded once.

* A row that breaks its contract (a required field empty, a value of the wrong type, a line that
  is not JSON, a CSV row with the wrong number of values, an instant later than the end of the
  delivery day plus a day for clocks: `timestamp_after_delivery`) goes to `ingest.quarantine`
  with its file, line and reason; the other rows load.
* A file that cannot be read (undecodable bytes, no header, a required column missing, an API
  error page) fails its entity's asset with a message naming the file and the problem.
* Columns the contract does not know are kept in the row's `_extra` JSON and reported.
* Text encodings are detected (UTF-8, UTF-8 with BOM, GBK/GB18030); naive timestamps are
  Asia/Shanghai and stored as UTC; money is DECIMAL(18,2), never float.

Types: `text`, `integer`, `money` (CNY, two decimals; `¥`, `,` allowed), `rate` (`6%` or `0.06`),
`boolean` (`true/false`, `是/否`, `1/0`), `timestamp` (ISO 8601 or the usual Chinese layouts;
naive = Asia/Shanghai), `epoch_s` / `epoch_ms` (WeCom), `date`, `text_list` (JSON list), `json`.
"""

GENERATOR = """\
## Generated datasets and their ground truth

`python -m orchestration.generator --customers N --days D --seed S --out DIR [--crm chinese_crm]`
(or `funnel generate …`) writes deliveries of all four sources in exactly these formats, streaming
with bounded memory, byte-identical for the same settings. Behind the data: channels with different
lead quality, reps with different response times, stage-by-stage drop-off (sometimes skipping a
stage), won customers with invoices, payments, follow-ups at day 7/30/90 and repeat orders.

Injected defects (rates in `orchestration/generator/config.py`), each listed in the ground truth
with what the pipeline must do about it:

| defect | where | expected |
|---|---|---|
| `bad_timestamp` | CRM lead with an unparseable creation time | quarantine `invalid_timestamp` |
| `missing_id` | CRM lead or bank receipt without its id | quarantine `missing_required` |
| `extra_delimiter` | CSV stage-history row with one value too many | quarantine `bad_column_count` |
| `bad_amount` | invoice with 金额 `N/A` | quarantine `invalid_money` |
| `truncated_json` | chat-archive line cut off | quarantine `invalid_json` |
| `bad_date_header` | e-mail whose `Date` cannot be parsed | quarantine `invalid_timestamp` |
| `redelivered_file` | a file delivered again, byte-identical, days later | skipped as duplicate |
| `duplicate_record` | the same person submits a lead twice | load (identity resolution merges) |
| `phone_format` | `138-0013-8000`, `+86 …`, `0086…`, full-width digits | load, normalised to E.164 |
| `company_typo` | a mistyped company name | load |
| `name_variant` | a WeCom nickname instead of the real name | load |
| `junk_mobile` | a shared front-desk / test number | load (must not merge customers) |
| `missing_message_id` | e-mail without `Message-ID` | load (keyed by content) |
| `duplicate_message` | the same e-mail in the mailbox and a client export | load, one message downstream |

`DIR/ground_truth/` holds `source_records.csv.gz` (every source record → its real customer),
`journeys.csv.gz` (each lead's and lead-less opportunity's true funnel: stages entered, outcome,
channel), `defects.csv.gz` (each defect with file, line and expected outcome) and `manifest.json`
(settings, files, expected quarantine counts, re-delivered files). `funnel validate --landing DIR`
checks every file against its contract and reconciles what it caught with the manifest.
"""


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
    text = " ".join(text.split())
    text = text if len(text) <= 48 else text[:45] + "…"
    return text.replace("|", "\\|")


def collect_examples(landing: Path, contract: EntityContract, specs: list) -> dict[tuple[str, str], str]:
    """(system, field name) → first raw value of that field in a row that passes the contract."""
    examples: dict[tuple[str, str], str] = {}
    for spec in specs:
        system = spec.system or contract.source
        wanted = {f.name for f in contract.fields}
        for path in sorted((landing / contract.source).glob(f"*/{spec.pattern}")):
            for record in spec.open(path, contract).records:
                if record.fields is None:
                    continue
                try:
                    contract.convert(record.fields)
                except RowError:
                    continue
                for f in contract.fields:
                    raw = record.fields.get(f.source_header)
                    if (system, f.name) not in examples and raw not in (None, "", [], {}):
                        examples[(system, f.name)] = _short(raw)
                if all((system, name) in examples for name in wanted):
                    break
            if all((system, name) in examples for name in wanted):
                break
    return examples


def _entity_section(contract: EntityContract, specs: list, examples: dict[tuple[str, str], str]) -> list[str]:
    systems = []
    for spec in specs:
        system = spec.system or contract.source
        if system not in [s for s, _ in systems]:
            systems.append((system, spec.columns or {}))
    patterns = ", ".join(f"`{s.pattern}`" for s in specs)
    lines = [f"### {contract.source} / {contract.entity} → `{contract.table}`", "", contract.description, "",
             f"Files: {patterns}.", ""]
    vendor_systems = [(s, cols) for s, cols in systems if cols]
    header = "| field | type | required | header | " + "".join(f"{s} header | " for s, _ in vendor_systems) + \
             "meaning | example |"
    lines += [header, "|" + "---|" * (6 + len(vendor_systems))]
    for f in contract.fields:
        names = f"`{f.source_header}`" + "".join(f" / `{a}`" for a in f.aliases)
        vendor_cells = ""
        for _, columns in vendor_systems:
            mapped = [h for h, name in columns.items() if name == f.name]
            vendor_cells += (f"`{mapped[0]}`" if mapped else "—") + " | "
        # Prefer an example in the contract's own headers (a system without a column mapping).
        ordered = sorted(systems, key=lambda system: bool(system[1]))
        example = next((examples[(s, f.name)] for s, _ in ordered if (s, f.name) in examples), "")
        lines.append(f"| `{f.name}` | {f.type} | {'yes' if f.required else ''} | {names} | {vendor_cells}"
                     f"{f.description} | {f'`{example}`' if example else ''} |")
    if contract.derived:
        lines += ["", "Derived on load: " + "; ".join(
            f"`{d.name}` ({d.type}{', ' + d.description if d.description else ''})" for d in contract.derived) + "."]
    return lines + [""]


def render_sources_doc() -> str:
    from orchestration.defs.ingest import ENTITIES

    with tempfile.TemporaryDirectory() as tmp:
        salesforce, chinese = Path(tmp) / "salesforce", Path(tmp) / "chinese_crm"
        generate(salesforce, EXAMPLE_CONFIG)
        generate(chinese, replace(EXAMPLE_CONFIG, crm="chinese_crm"))
        out = [INTRO, "## Entities", ""]
        for contract, specs in ENTITIES:
            examples = collect_examples(salesforce, contract, specs)
            if contract.source == "crm":
                examples.update({k: v for k, v in collect_examples(chinese, contract, specs).items()
                                 if k[0] == "chinese_crm"})
            out += _entity_section(contract, specs, examples)
    return "\n".join(out) + "\n" + GENERATOR
