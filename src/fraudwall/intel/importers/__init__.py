"""Public data in other shapes turned into fraudwall's tables, so every detector can be run
and measured on data nobody here made (one module per source)."""

from fraudwall.intel.importers.amlsim import (
    AMLSIM_START_TS,
    AmlsimImport,
    import_amlsim,
)
from fraudwall.intel.importers.teleantifraud import (
    TELEANTIFRAUD_SCHEMA,
    TeleAntiFraudImport,
    import_teleantifraud,
)

__all__ = [
    "AMLSIM_START_TS",
    "TELEANTIFRAUD_SCHEMA",
    "AmlsimImport",
    "TeleAntiFraudImport",
    "import_amlsim",
    "import_teleantifraud",
]
