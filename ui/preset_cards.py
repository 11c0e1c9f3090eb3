"""Home's preset cards: each preset's human name and one line a newcomer understands.

The preset registry says what a network is for the code; these are its words for a person
seeing it for the first time (no ids, no "seed 003"). A preset without an entry here still
gets a card, from its id and description.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from resnet_core import analyze, get_spec
from resnet_core.presets import FAMILIES, PRESETS, RESIDUAL_TWINS
from resnet_core.trace import fmt_shape

# The family headings, in a newcomer's words.
FAMILY_TITLES = {
    FAMILIES[0]: "From the tutorials this app was built from",
    FAMILIES[1]: "ImageNet ResNets (He et al. 2015)",
    FAMILIES[2]: "CIFAR-10: ResNets and their plain twins (He et al. 2015)",
    FAMILIES[3]: "Before ResNet: Inception and VGG",
    FAMILIES[4]: "After ResNet: v2, ResNeXt, SE-ResNet, Wide ResNet (ImageNet)",
    FAMILIES[5]: "Very deep and very wide, on CIFAR-10",
}

_TEXT: dict[str, tuple[str, str]] = {
    "seed_resnet50": (
        "ResNet-50, small images",
        "A bottleneck ResNet-50 from a Keras tutorial, for 64×64 photos of 6 hand signs.",
    ),
    "seed_resnet34": (
        "ResNet-34, basic blocks",
        "ResNet-34 with two-conv blocks, from a beginners' Keras tutorial, for 32×32 images.",
    ),
    "seed_cifar_resnet": (
        "CIFAR-10 ResNet (Keras tutorial)",
        "The residual network of 'Building a ResNet in Keras', conv → ReLU → BN blocks.",
    ),
    "seed_cifar_plain": (
        "Its plain twin",
        "The same tutorial network with the skip connections taken out.",
    ),
    "seed_mnist_resnet": (
        "MNIST ResNet without BatchNorm",
        "A small bottleneck network for handwritten digits, from a low-level TensorFlow tutorial.",
    ),
    "seed_preact_resnet": (
        "Pre-activation ResNet",
        "Five BN → ELU → conv blocks of 64 channels, from a TensorFlow "
        "tutorial on what a residual is.",
    ),
    "googlenet": (
        "GoogLeNet (Inception)",
        "Szegedy et al. 2014: nine Inception blocks, here for 96×96 grey images.",
    ),
    "vgg16": (
        "VGG-16",
        "Simonyan & Zisserman 2014: 13 plain convs and 3 dense layers, as in Keras.",
    ),
    "seed_vgg16_slim": (
        "VGG-16, TensorFlow tutorial",
        "The same 16 layers as a TF-Slim tutorial writes them: dropout, "
        "an L2 penalty on the kernels, raw scores out.",
    ),
    "resnext50_32x4d": (
        "ResNeXt-50",
        "Xie et al. 2017: each 3×3 conv split into 32 "
        "narrow groups; as accurate as deeper nets for the same cost.",
    ),
    "resnext101_32x8d": (
        "ResNeXt-101",
        "Xie et al. 2017's 101-layer network, 32 groups of 8 channels in every 3×3 conv.",
    ),
    "seresnet50": (
        "SE-ResNet-50",
        "Hu et al. 2018: each block learns how much each of "
        "its channels matters (squeeze-and-excitation).",
    ),
    "wide_resnet50_2": (
        "Wide ResNet-50-2",
        "ResNet-50 with its blocks' inner convs twice as wide: fewer layers, more channels.",
    ),
    "cifar_resnet1202": (
        "ResNet-1202 for CIFAR-10",
        "He et al. 2015's 1202-layer network: it trains, but no better than ResNet-110.",
    ),
    "preact_resnet164": (
        "Pre-activation ResNet-164",
        "He et al. 2016: BatchNorm and ReLU "
        "before each conv, so the skip path stays a clean identity.",
    ),
    "preact_resnet1001": (
        "Pre-activation ResNet-1001",
        "He et al. 2016's 1001 layers, trainable thanks to that clean identity path.",
    ),
    "wrn28_10": (
        "Wide ResNet-28-10",
        "Zagoruyko & Komodakis 2016: 28 layers but ten times "
        "the channels; beats far deeper thin nets.",
    ),
}
for _d in (50, 101, 152):
    _TEXT[f"resnet{_d}v2"] = (
        f"ResNet-{_d} v2",
        f"He et al. 2016's pre-activation {_d}-layer network, as Keras's ResNet{_d}V2.",
    )
for _d in (18, 34, 50, 101, 152):
    _TEXT[f"resnet{_d}"] = (
        f"ResNet-{_d}",
        f"He et al. 2015's {_d}-layer ImageNet network"
        + (" with bottleneck blocks, as in Keras." if _d >= 50 else " with two-conv blocks."),
    )
for _d in (20, 32, 44, 56, 110):
    _TEXT[f"cifar_resnet{_d}"] = (
        f"ResNet-{_d} for CIFAR-10",
        f"He et al. 2015's {_d}-layer residual network for 32×32 images.",
    )
    _TEXT[f"cifar_plain{_d}"] = (
        f"Plain-{_d} for CIFAR-10",
        f"The same {_d} layers without skip connections: the deeper it is, the worse it trains.",
    )


def describe(name: str) -> str:
    """One line for the preset ``name``: its human name and what it is."""
    title, line = _TEXT.get(name, (name, PRESETS[name].description))
    return f"{title}: {line}"


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    line: str
    params: int
    input: str
    classes: int


@st.cache_data(show_spinner=False)
def cards() -> dict[str, list[Card]]:
    """Every preset's card, by family heading (traced once per server)."""
    out: dict[str, list[Card]] = {}
    for p in PRESETS.values():
        spec = get_spec(p.name)
        title, line = _TEXT.get(p.name, (p.name, p.description))
        out.setdefault(FAMILY_TITLES.get(p.family, p.family), []).append(
            Card(
                p.name,
                title,
                line,
                analyze(spec).totals.total_params,
                fmt_shape(spec.input_shape),
                spec.head.classes,
            )
        )
    return out


def rows(members: list[Card], width: int = 3) -> list[list[Card]]:
    """``members`` in rows of at most ``width`` cards, a residual net and its plain twin
    always in one row, side by side: a pair that does not fit the row's last place waits
    for the next row while the cards after it fill that place. A family of pairs only
    goes two across, so each row is one pair."""
    twin_of = {**RESIDUAL_TWINS, **{v: k for k, v in RESIDUAL_TWINS.items()}}
    names = {c.name for c in members}
    units, seen = [], set()
    for c in members:
        if c.name in seen:
            continue
        pair = [c] + [m for m in members if m.name == twin_of.get(c.name) and m.name in names]
        seen.update(m.name for m in pair)
        units.append(pair)
    if units and all(len(u) == 2 for u in units):
        width = 2
    out: list[list[Card]] = []
    while units:
        row: list[Card] = []
        for unit in list(units):
            if len(row) + len(unit) <= width:
                row += unit
                units.remove(unit)
        if not row:  # a unit wider than the row: alone on its own
            row = units.pop(0)
        out.append(row)
    return out


def card(name: str) -> Card:
    """The card of the preset ``name``."""
    return next(c for cs in cards().values() for c in cs if c.name == name)
