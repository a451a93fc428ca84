"""checker — offline, claim-level fact-consistency checking for news.

Pipeline: :mod:`checker.ingest` -> :mod:`checker.claims` -> :mod:`checker.embed`
-> :mod:`checker.cluster` -> :mod:`checker.compare` -> :mod:`checker.report`.

>>> import checker
>>> result = checker.run(["seeds/"], reference="seeds/reference.txt")
>>> for j in result.contradictions(): ...
"""

from .config import Config
from .pipeline import run
from .verify import consistency
from .records import Claim, Cluster, Document, Judgement, Result, Sentence

__all__ = ["run", "consistency", "Config", "Result", "Document", "Sentence", "Claim", "Cluster", "Judgement"]
__version__ = "0.1.0"
