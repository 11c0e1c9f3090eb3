"""Figures from He et al. 2015: FLOPs of Table 1 and CIFAR parameters of Table 6."""

import pytest

from resnet_core import analyze, get_spec

# Table 1, "FLOPs" (multiply-adds), ×10^9.
TABLE1 = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8, "resnet101": 7.6, "resnet152": 11.3}
# Table 6, "# params", in millions.
TABLE6 = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}


@pytest.mark.parametrize("name, gmacs", TABLE1.items())
def test_imagenet_macs_agree_with_table1(name, gmacs):
    macs = analyze(get_spec(name)).totals.macs
    assert abs(macs / 1e9 - gmacs) / gmacs < 0.03, macs


@pytest.mark.parametrize("depth, millions", TABLE6.items())
def test_cifar_params_agree_with_table6(depth, millions):
    for name in (f"cifar_resnet{depth}", f"cifar_plain{depth}"):
        params = analyze(get_spec(name)).totals.total_params
        assert abs(params / 1e6 - millions) / millions < 0.03, (name, params)


@pytest.mark.parametrize(
    "name, depth",
    [
        ("resnet18", 18),
        ("resnet34", 34),
        ("resnet50", 50),
        ("resnet101", 101),
        ("resnet152", 152),
        ("cifar_resnet56", 56),
        ("cifar_plain110", 110),
        ("vgg16", 16),
        ("seed_cifar_resnet", 30),
    ],
)
def test_depth_counts_weighted_layers_as_the_papers_do(name, depth):
    assert analyze(get_spec(name)).totals.depth == depth
