"""Scripts that change (手法迭代, DESIGN §7, issue 14): new fraud scripts found in the texts
as they appear, before the text model has learnt them.

- `nearduplicates`: MinHash signatures of character shingles and their LSH groups;
- `suspicious`: which messages are looked at (the model, the lexicon, broadcasting
  young numbers);
- `corpus`: a world's SMS made ready once (model probabilities, cues, signatures);
- `finder`: the emerging scripts as of a time;
- `truth`: a simulated world's script truth (its drift, or one script per fraud type);
- `evaluate`: found or not, and when, against the truth.
"""

from fraudwall.intel.scripts.corpus import TextCorpus, build_corpus
from fraudwall.intel.scripts.evaluate import match_found, new_scripts, time_to_find
from fraudwall.intel.scripts.finder import Found, find_emerging_scripts
from fraudwall.intel.scripts.truth import script_truth

__all__ = [
    "Found",
    "TextCorpus",
    "build_corpus",
    "find_emerging_scripts",
    "match_found",
    "new_scripts",
    "script_truth",
    "time_to_find",
]
