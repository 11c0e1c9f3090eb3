"""The words of residual networks, each in one line a newcomer understands.

One glossary for the whole app: Home's cards and Compose's column help read it, so a
term means the same thing everywhere. :func:`terms_in` finds the terms a text uses.
"""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    "residual": "A block that adds its input back to its output (y = x + F(x)), so it "
    "only has to learn the change F.",
    "skip connection": "The path that carries a block's input around its layers to the "
    "sum: the x in y = x + F(x).",
    "plain": "The same layers without skip connections: each block's output is F(x) alone.",
    "BN": "Batch normalisation: rescales each channel to mean 0 and variance 1 over the "
    "batch, then by a learned scale and shift.",
    "BatchNorm": "Batch normalisation: rescales each channel to mean 0 and variance 1 "
    "over the batch, then by a learned scale and shift.",
    "ReLU": "Rectified linear unit, max(0, x): keeps positive values, sets negative ones to zero.",
    "ELU": "Like ReLU for positive values; negative ones curve smoothly down to -1 instead of 0.",
    "conv": "A convolution: a small learned filter slid over the image, one output "
    "channel per filter.",
    "basic block": "Two 3×3 convolutions with a skip connection around them (ResNet-18 and -34).",
    "two-conv": "Two 3×3 convolutions with a skip connection around them (ResNet-18 and -34).",
    "bottleneck": "1×1 conv to narrow the channels, 3×3 conv, 1×1 conv to widen them "
    "again: cheaper than two wide 3×3 convs (ResNet-50 and deeper).",
    "pre-activation": "BatchNorm and ReLU before each conv instead of after, so the skip "
    "path stays a clean identity (ResNet v2).",
    "projection": "A 1×1 conv on the skip path, used where a block changes the number of "
    "channels or the image size, so the two paths can be added.",
    "identity": "A skip path that passes the input through unchanged.",
    "zero-pad": "A skip path with no weights: it subsamples the input and pads the new "
    "channels with zeros (the CIFAR papers' option A).",
    "subsample": "A skip path that keeps every second pixel (a strided pooling) instead "
    "of a 1×1 conv.",
    "stride": "How far a filter moves between outputs: stride 2 halves the image's height "
    "and width.",
    "strided conv": "The conv of a block that moves its filter two pixels at a time, halving "
    "the image: a bottleneck's first 1×1 (the paper, Keras) or its 3×3 (torchvision).",
    "bottleneck width": "The channels of a bottleneck's middle k×k conv: filters ÷ "
    "expansion unless set; ResNeXt and wide ResNets make it wider.",
    "BN momentum": "How slowly BatchNorm's running mean and variance (used at test time) "
    "follow the batches: 0.99 keeps 99 % of the old value at each step.",
    "BN epsilon": "A small number added to the variance before BatchNorm divides by it, so "
    "a channel that never varies does not divide by zero.",
    "BN scale": "BatchNorm's learned per-channel factor γ after normalising; without it "
    "the next layer must work with unit-variance channels.",
    "global average pooling": "Averages each channel over the whole image, one number per "
    "channel, before the classifier: the network then takes any input size.",
    "flatten": "Lays the last feature maps out as one long vector for a dense layer (VGG's "
    "head): the input size is then fixed.",
    "kernel size": "The side of a conv's square filter: 3 means each output looks at 3×3 "
    "input pixels.",
    "expansion": "How many times wider a bottleneck block's output is than its narrow "
    "middle (4 in ResNet-50).",
    "groups": "The 3×3 conv split into parallel groups of channels that do not mix "
    "(ResNeXt's cardinality).",
    "squeeze-and-excitation": "A small side branch that learns how much each channel "
    "matters and rescales the channels by it (SE-ResNet).",
    "SE": "Squeeze-and-excitation: a small side branch that learns how much each channel "
    "matters and rescales the channels by it.",
    "Inception": "A block of parallel convolutions of different sizes whose outputs are "
    "stacked (GoogLeNet).",
    "dropout": "During training, sets a random share of the values to zero, so the "
    "network cannot rely on any one of them.",
    "weight decay": "Shrinks every weight a little at each step, apart from the loss's "
    "gradient (decoupled, as AdamW): a Keras optimizer's weight_decay.",
    "L2 penalty": "The sum of a layer's squared kernel weights, times λ, added to the loss "
    "(Keras's kernel_regularizer): a layer setting, not the optimizer's.",
    "MACs": "Multiply-accumulate operations for one image: a measure of compute cost.",
    "parameters": "The numbers the network learns (weights and biases).",
    "ImageNet": "1.28 million photos in 1,000 classes, 224×224 pixels in these networks.",
    "CIFAR-10": "60,000 colour images of 32×32 pixels in 10 classes.",
    "MNIST": "70,000 handwritten digits, 28×28 grey pixels.",
    "logits": "The raw scores of the last layer, before softmax turns them into probabilities.",
}


def explain(term: str) -> str:
    """The one line for ``term`` (any case); ``KeyError`` for a word not in it."""
    for key, line in GLOSSARY.items():
        if key.lower() == term.lower():
            return line
    raise KeyError(term)


def _pattern() -> re.Pattern:
    # Longest first: "basic block" before "block", "BatchNorm" before "BN".
    words = sorted(GLOSSARY, key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")s?(?![\w-])", re.IGNORECASE
    )  # a plural too: "skip connections"


_TERMS = _pattern()


def terms_in(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` for each glossary term in ``text``, in order, without
    overlaps; ``term`` is the glossary's key (the text may write it in another case)."""
    keys = {k.lower(): k for k in GLOSSARY}
    return [(m.start(), m.end(), keys[m.group(1).lower()]) for m in _TERMS.finditer(text)]
