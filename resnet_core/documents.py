"""The source documents in a reader's words: "seed 002" is the project's filing name, not
something a person reading the app or an exported script knows."""

from __future__ import annotations

import re

# Short enough to take a possessive ("… tutorial's ResNet50"); the title where the seeds'
# README gives one, else what each document is.
DOCUMENTS = {
    "000": "the Keras ResNet-50 tutorial",
    "001": "the Keras ResNet-34 tutorial",
    "002": "the 'Building a ResNet in Keras' tutorial",
    "003": "the TensorFlow MNIST tutorial",
    "004": "the TF-Slim residuals tutorial",
}
_SEED = re.compile(r"\b([Ss])eed (\d{3})('s)?( (?=[a-z_]+\())?")


def plain_sources(text: str) -> str:
    """``text`` with every "seed 00N" named as the tutorial it is: "Seed 000's ResNet50"
    → "The Keras ResNet-50 tutorial's ResNet50", "seed 004 residual_block(x)" → "the
    TF-Slim residuals tutorial's residual_block(x)". Unknown numbers stay as they are."""

    def name(m: re.Match) -> str:
        words = DOCUMENTS.get(m.group(2))
        if words is None:
            return m.group(0)
        if m.group(1) == "S":
            words = words[0].upper() + words[1:]
        return words + ("'s " if m.group(4) else m.group(3) or "")

    return _SEED.sub(name, text)
