"""Property tests: for random valid specs, the tracer agrees with the Keras model, and
the exported script builds that model."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet_core import ArchitectureSpec, Head, SpecError, Stage, StemLayer, analyze
from resnet_core.blocks import BLOCK_KINDS
from resnet_core.build import build_model
from resnet_core.codegen import to_python

from .test_codegen import _exec, assert_same_model, hostile_text
from .test_keras_agreement import assert_trace_matches_model


@st.composite
def stems(draw):
    layers = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(
            st.sampled_from(["conv", "batchnorm", "relu", "elu", "maxpool", "avgpool", "zeropad"])
        )
        if kind == "conv":
            layers.append(
                StemLayer(
                    "conv",
                    filters=draw(st.integers(1, 12)),
                    kernel_size=draw(st.integers(1, 5)),
                    stride=draw(st.integers(1, 2)),
                    padding=draw(st.sampled_from(["same", "valid"])),
                    use_bias=draw(st.booleans()),
                )
            )
        elif kind in ("maxpool", "avgpool"):
            layers.append(
                StemLayer(
                    kind,
                    pool_size=draw(st.integers(1, 3)),
                    stride=draw(st.integers(1, 2)),
                    padding=draw(st.sampled_from(["same", "valid"])),
                )
            )
        elif kind == "zeropad":
            layers.append(StemLayer("zeropad", pad=draw(st.integers(0, 2))))
        else:
            layers.append(StemLayer(kind))
    return tuple(layers)


@st.composite
def stages(draw):
    block = draw(st.sampled_from(sorted(BLOCK_KINDS)))
    kind = BLOCK_KINDS[block]
    expansion = draw(st.integers(1, 4)) if kind.uses_expansion else 4
    if kind.inception:
        filters = tuple(draw(st.lists(st.integers(1, 6), min_size=6, max_size=6)))
    else:
        filters = expansion * draw(st.integers(1, 6))
    stage = Stage(
        block,
        draw(st.integers(1, 2)),
        filters,
        draw(st.integers(1, 2)),
        draw(st.sampled_from([1, 3])),
        draw(st.sampled_from(["projection", "conv", "zeropad", "none"])),
        expansion,
    )
    # Settings the kind ignores go back to their defaults: the spec refuses anything else.
    unused = {
        f: Stage.__dataclass_fields__[f].default
        for f in ("kernel_size", "shortcut")
        if f not in kind.fields
    }
    return dataclasses.replace(stage, **unused)


@st.composite
def heads(draw):
    if draw(st.booleans()) and draw(st.booleans()):
        return Head(
            classes=draw(st.integers(1, 5)),
            classifier="conv",
            classifier_kernel=draw(st.sampled_from([1, 3])),
        )
    return Head(
        classes=draw(st.integers(1, 5)),
        pool=draw(st.sampled_from(["global_avg", "global_max", "avg", "max", "flatten"])),
        pool_size=draw(st.integers(1, 2)),
        pool_padding=draw(st.sampled_from(["same", "valid"])),
        hidden=tuple(draw(st.lists(st.integers(1, 8), max_size=2))),
        dropout=draw(st.sampled_from([0.0, 0.25])),
    )


@st.composite
def specs(draw):
    side = draw(st.integers(6, 24))
    return ArchitectureSpec(
        name="random",
        input_shape=(side, draw(st.integers(6, 24)), draw(st.integers(1, 3))),
        stem=draw(stems()),
        stages=tuple(draw(st.lists(stages(), min_size=1, max_size=3))),
        head=draw(heads()),
        conv_bias=draw(st.booleans()),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_random_specs_agree_with_keras(spec):
    a = analyze(spec)
    if a.ok:
        assert_trace_matches_model(spec, build_model(spec))
    else:
        # What the tracer refuses, Keras refuses too (the tracer is never the stricter).
        with pytest.raises(ValueError):
            build_model(spec)


@settings(max_examples=60, deadline=None)
@given(specs())
def test_random_specs_round_trip_through_json(spec):
    assert ArchitectureSpec.from_json(spec.to_json()) == spec


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), hostile_text)
def test_the_exported_script_builds_the_same_model_for_random_specs(spec, name):
    try:
        spec = spec.replace(name=name)
    except SpecError:
        pass  # a refused name: the random architecture is still exported
    if not analyze(spec).ok:
        with pytest.raises(ValueError, match="cannot export"):
            to_python(spec)
        return
    assert_same_model(_exec(to_python(spec)), build_model(spec))
