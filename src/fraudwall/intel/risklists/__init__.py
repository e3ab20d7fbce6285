"""Risk lists (DESIGN §7): numbers, accounts, links, domains, apps and devices, each entry
with its source, evidence, confidence, first and last sighting and expiry.

- `entries`: the entry, its one written form per kind, the gate every row passes
  (`check_entries`);
- `store`: where entries live (SQLite by default, PostgreSQL by URL), merged per
  (kind, value, source), looked up column-wise as of a time (`RiskListStore`);
- `csvfiles`: lists shared between institutions as CSV, bad rows to a rejected file;
- `fill`: entries from a detector's scores and from confirmed cases;
- `answer`: one value checked, with the evidence (links by their domains too);
- `view`: what the engine reads (`model.RiskListView`), made from the store.
"""

from fraudwall.intel.risklists.answer import Answer, answer_on, domains_above
from fraudwall.intel.risklists.csvfiles import (
    ImportResult,
    export_csv,
    import_csv,
    read_list_csv,
    rejected_csv_path,
)
from fraudwall.intel.risklists.entries import (
    ENTRY_SCHEMA,
    CheckedEntries,
    ListKind,
    Rejection,
    RiskEntry,
    check_entries,
    entries_table,
    entry_records,
    list_kind,
    normalise,
    normalise_column,
)
from fraudwall.intel.risklists.fill import (
    CASE_KEEP_MS,
    CASE_SOURCE,
    entries_from_cases,
    entries_from_model_scores,
    entries_from_scores,
)
from fraudwall.intel.risklists.store import (
    DEFAULT_DATA,
    LOOKUP_SCHEMA,
    METADATA,
    STORE_FILE,
    RiskListStore,
    Stored,
    default_url,
    entries_on,
    lookup_on,
    risk_entries,
    upsert_on,
    view_on,
)
from fraudwall.intel.risklists.view import engine_view, listed_spans

__all__ = [
    "CASE_KEEP_MS",
    "CASE_SOURCE",
    "DEFAULT_DATA",
    "ENTRY_SCHEMA",
    "LOOKUP_SCHEMA",
    "METADATA",
    "STORE_FILE",
    "Answer",
    "CheckedEntries",
    "ImportResult",
    "ListKind",
    "Rejection",
    "RiskEntry",
    "RiskListStore",
    "Stored",
    "answer_on",
    "check_entries",
    "default_url",
    "domains_above",
    "engine_view",
    "entries_from_cases",
    "entries_from_model_scores",
    "entries_from_scores",
    "entries_on",
    "entries_table",
    "entry_records",
    "export_csv",
    "import_csv",
    "list_kind",
    "listed_spans",
    "lookup_on",
    "normalise",
    "normalise_column",
    "read_list_csv",
    "rejected_csv_path",
    "risk_entries",
    "upsert_on",
    "view_on",
]
