"""The command line, run as a user runs it."""

import json
import subprocess
import sys

import pytest

from resnet_core import PRESETS


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "resnet_core", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_presets_lists_every_name():
    out = run("presets")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names == list(PRESETS)


def test_summary_json():
    out = run("summary", "seed_resnet50", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["total_params"] == 23_600_006
    assert d["trainable_params"] == 23_546_886
    assert d["non_trainable_params"] == 53_120
    assert d["output_shape"] == [6] and d["input_shape"] == [64, 64, 3]
    assert d["macs"] > 0
    assert d["layers"][1]["name"] == "stem_pad1"


def test_summary_overrides_input_and_classes():
    d = json.loads(run("summary", "resnet50", "--input-shape", "128,128,1", "--classes", "7",
                       "--json").stdout)
    assert d["input_shape"] == [128, 128, 1] and d["output_shape"] == [7]


def test_summary_of_a_spec_file_and_export_round_trip(tmp_path):
    spec_file = tmp_path / "net.json"
    out = run("export", "cifar_resnet56", "--format", "json", "-o", str(spec_file))
    assert out.returncode == 0
    text = run("summary", str(spec_file)).stdout
    assert "cifar_resnet56" in text and "857,082" in text
    code = run("export", "cifar_resnet56", "--format", "python").stdout
    assert "def build_model" in code


def test_errors_are_one_line_and_non_zero(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "input_shape": [32, 32, 3], "stem": [], "stages": '
                   '[{"block": "basic", "blocks": 2, "filters": -4}], "head": {"classes": 3}}')
    cases = [
        (("summary", "no_such_net"), "neither a preset"),
        (("summary", str(bad)), "stages[0].filters: must be at least 1, got -4"),
        (("summary", str(tmp_path / "missing.json")), "cannot read"),
        (("summary", "resnet18", "--input-shape", "a,b"), "--input-shape must be"),
        (("summary", "resnet18", "--classes", "0"), "head.classes"),
        (("export", "seed_resnet50", "--input-shape", "16,16,3", "--format", "python"),
         "cannot export"),
    ]
    for args, words in cases:
        out = run(*args)
        assert out.returncode != 0, args
        assert words in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr


def test_unbuildable_summary_exits_non_zero_with_partial_table():
    out = run("summary", "seed_resnet50", "--input-shape", "16,16,3")
    assert out.returncode == 1
    assert "stage4" in out.stdout and "head_pool" in out.stderr


@pytest.mark.slow
def test_race_prints_both_runs_in_the_train_json_form(tmp_path):
    import os

    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-m", "resnet_core", "race", "cifar_resnet20",
                          "--dataset", "digits", "--epochs", "1", "--limit", "200",
                          "--batch-size", "32", "--json"], capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    residual, plain = json.loads(out.stdout.strip().splitlines()[-1])
    assert (residual["name"], plain["name"]) == ("cifar_resnet20", "cifar_resnet20_plain")
    for summary in (residual, plain):
        assert summary["status"] == "completed" and summary["run_id"]
        assert set(summary["history"][0]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert summary["images_per_second"] > 0


def test_race_of_a_network_without_skips_says_what_to_do():
    out = run("race", "googlenet")
    assert out.returncode == 2 and "has no skip connections" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("args, words", [
    (("train", "cifar_resnet20", "--seed", "-1"), "--seed: must be at least 0"),
    (("train", "cifar_resnet20", "--epochs", "0"), "--epochs: must be at least 1"),
    (("race", "cifar_resnet20", "--lr", "abc"), "--lr: expected a number"),
    (("race", "cifar_resnet20", "--batch-size", "2.5"), "expected an integer"),
])
def test_bad_training_arguments_are_one_line_and_exit_2(args, words):
    out = run(*args)
    assert out.returncode == 2 and words in out.stderr
    assert "Traceback" not in out.stderr
