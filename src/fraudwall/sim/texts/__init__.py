"""Chinese texts for the world simulator.

Fraud SMS scripts, ordinary SMS (the hard negatives), victims' reports to police, fraud and
legitimate domains and apps, merchant and company names.

Texts come from hand-written templates in a small language (`templates`): ``{slot}`` draws
a value (`slots`: a name, an amount, a URL...; a slot name used twice in one text gives the
same value twice), ``[a|b|c]`` picks one alternative, ``[a|]`` makes ``a`` optional, and
alternatives nest. Fraud SMS then get the noise real spam carries (`noise`): fake 【】
signatures, 退订 suffixes, full-width digits, stray spaces and obfuscated keywords
(刷 单, 返.利, 薇信).

One job a module: `rand` (draws), `vocab` (vocabularies), `slots`, `templates`,
`catalogue` (apps and domains), `permissions`, `companies`, `merchants`, `noise`,
`fraudsms`, `ordinarysms`, `narratives`, and `drift` (the scripts that start while a world
runs: `fraudwall.sim.scripts`). This package re-exports the public names callers use.

Every draw comes from the numpy Generator passed in, so output is deterministic for a seed.
"""

from fraudwall.sim.texts.catalogue import (
    FRAUD_APPS,
    LEGIT_APPS,
    LEGIT_DOMAINS,
    REMOTE_APPS,
    fraud_domain,
)
from fraudwall.sim.texts.companies import company_name
from fraudwall.sim.texts.fraudsms import fraud_sms
from fraudwall.sim.texts.merchants import MERCHANT_CATEGORIES, merchant_name
from fraudwall.sim.texts.narratives import report_narrative
from fraudwall.sim.texts.ordinarysms import NORMAL_SMS_KINDS, normal_sms
from fraudwall.sim.texts.permissions import app_permissions

__all__ = [
    "FRAUD_APPS",
    "LEGIT_APPS",
    "LEGIT_DOMAINS",
    "MERCHANT_CATEGORIES",
    "NORMAL_SMS_KINDS",
    "REMOTE_APPS",
    "app_permissions",
    "company_name",
    "fraud_domain",
    "fraud_sms",
    "merchant_name",
    "normal_sms",
    "report_narrative",
]
