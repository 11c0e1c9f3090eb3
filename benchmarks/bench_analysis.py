"""Benchmark: analysing a spec vs building its Keras model (issue: analysis of resnet152
must take < 100 ms median in a warm process and be >= 10x faster than the Keras build),
and the analysis alone of the deepest presets, ResNet-1202 and ResNet-1001 (< 100 ms;
building them in Keras takes minutes, so it is not timed).

Run: .venv/bin/python benchmarks/bench_analysis.py [--quick] [preset ...]
(--quick: cifar_resnet20 only, few repeats, no deepest presets: a check that it runs)
"""

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from resnet_core import analyze, get_spec  # noqa: E402


def median_seconds(fn, repeat):
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


DEEPEST = ("cifar_resnet1202", "preact_resnet1001")


def full_analysis(spec):
    a = analyze(spec)
    a.totals, a.stages(), a.memory(32), a.rows()


def main(names, quick: bool = False):
    import keras

    from resnet_core.build import build_model

    print(f"{'preset':<16}{'analysis ms':>12}{'keras build ms':>16}{'ratio':>8}")
    for name in names:
        spec = get_spec(name)

        t_analysis = median_seconds(lambda spec=spec: full_analysis(spec), 3 if quick else 50)

        def keras_build(spec=spec):
            keras.backend.clear_session()
            build_model(spec)

        t_build = median_seconds(keras_build, 1 if quick else 5)
        print(
            f"{name:<16}{t_analysis * 1e3:>12.2f}{t_build * 1e3:>16.0f}"
            f"{t_build / t_analysis:>7.0f}x"
        )
        if name == "resnet152":
            ok = t_analysis < 0.1 and t_build / t_analysis >= 10
            print(
                f"target (resnet152 < 100 ms and >= 10x faster than Keras): "
                f"{'met' if ok else 'NOT met'}"
            )
    for name in () if quick else DEEPEST:
        spec = get_spec(name)
        t = median_seconds(lambda spec=spec: full_analysis(spec), 20)
        layers = len(analyze(spec).layers)
        print(
            f"{name:<18}{t * 1e3:>10.2f} ms for {layers} layers: target < 100 ms "
            f"{'met' if t < 0.1 else 'NOT met'}"
        )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--quick"]
    quick = "--quick" in sys.argv[1:]
    main(
        args
        or (
            ["cifar_resnet20"]
            if quick
            else ["resnet152", "resnet50", "googlenet", "cifar_resnet110"]
        ),
        quick,
    )
