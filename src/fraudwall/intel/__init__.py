"""Intelligence (batch, DESIGN §7): over the history of transfers, calls, SMS, devices and
reports, find mule accounts, fraud numbers, malicious apps, fraud domains and gangs, and
feed them back as risk lists.

One part per module; what they share is `EntityModel` (one boosted model per kind of
entity: fit, score with reasons, evaluate, save)."""

from fraudwall.intel.entitymodel import EntityModel, classification_metrics

__all__ = ["EntityModel", "classification_metrics"]
