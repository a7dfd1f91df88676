"""Synthetic deliveries of the four source systems, at any scale, with their ground truth.

``generate(out_dir, GeneratorConfig(customers=N, days=D, seed=S))`` or, from a shell,
``python -m orchestration.generator --customers N --days D --seed S --out DIR`` (also
``funnel generate``). See ``docs/sources.md`` for the formats and the ground-truth files.
"""

from .config import GeneratorConfig
from .run import generate
from .truth import read_manifest, read_truth

__all__ = ["GeneratorConfig", "generate", "read_manifest", "read_truth"]
