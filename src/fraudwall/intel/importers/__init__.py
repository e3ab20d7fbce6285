"""Public data in other shapes turned into fraudwall's tables, so every detector can be run
and measured on data nobody here made (one module per source)."""

from fraudwall.intel.importers.amlsim import (
    AMLSIM_START_TS,
    AmlsimImport,
    import_amlsim,
)

__all__ = ["AMLSIM_START_TS", "AmlsimImport", "import_amlsim"]
