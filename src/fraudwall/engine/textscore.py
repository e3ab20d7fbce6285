"""The engine's SMS feature ``sms_text_score``: the fraud-script lexicon of
`fraudwall.common.lexicon` (shared with the learned text classifier of intel), named here
as the engine has always named it."""

from fraudwall.common.lexicon import (
    BIAS,
    CUES,
    HINT,
    VARIANTS,
    Cue,
    explain,
    normalize,
    sms_text_score,
)

__all__ = ["BIAS", "CUES", "HINT", "VARIANTS", "Cue", "explain", "normalize", "sms_text_score"]
