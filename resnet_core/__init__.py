"""resnet_core: residual and inception networks as data, traced, built, drawn and exported.

The path is: a spec (:mod:`spec`, :mod:`presets`) → the tracer and analysis
(:mod:`trace`, :mod:`analysis`), the graph (:mod:`graph`), the code export
(:mod:`codegen`), the Keras model (:mod:`build`) and training runs (:mod:`training`,
:mod:`data`). Nothing on the analysis path imports Keras; :mod:`build`, :mod:`layers`,
:mod:`pretrained`, :mod:`gradients` and the training engine do.
"""

from .analysis import Analysis, analyze, summary_dict
from .presets import DEFAULT_PRESET, PRESETS, get_spec
from .spec import ArchitectureSpec, Head, SpecError, Stage, StemLayer

__all__ = [
    "Analysis",
    "ArchitectureSpec",
    "DEFAULT_PRESET",
    "Head",
    "PRESETS",
    "SpecError",
    "Stage",
    "StemLayer",
    "analyze",
    "get_spec",
    "summary_dict",
]
