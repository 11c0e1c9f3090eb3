"""The command line, run as a user runs it."""

import json
import re
import subprocess
import sys

import pytest

from resnet_core import PRESETS


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "resnet_core", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_presets_lists_every_name():
    out = run("presets")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names == list(PRESETS)


def test_the_module_docstring_and_the_readme_name_every_command():
    import argparse
    from pathlib import Path

    from resnet_core import cli

    sub = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    listed = next(t for t in cli.__doc__.split("``") if "|" in t).split("|")
    assert sorted(listed) == sorted(sub.choices)
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    where = re.split(r"\n  \S", readme.split("  cli.py")[1])[0]  # "What is where"
    assert all(name in where for name in sub.choices), where


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
    d = json.loads(
        run("summary", "resnet50", "--input-shape", "128,128,1", "--classes", "7", "--json").stdout
    )
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
    bad.write_text(
        '{"name": "x", "input_shape": [32, 32, 3], "stem": [], "stages": '
        '[{"kind": "basic", "num_blocks": 2, "filters": -4}], "head": {"classes": 3}}'
    )
    cases = [
        (("summary", "no_such_net"), "neither a preset"),
        (("summary", str(bad)), "stages[0].filters: must be at least 1, got -4"),
        (("summary", str(tmp_path / "missing.json")), "cannot read"),
        (("summary", "resnet18", "--input-shape", "a,b"), "--input-shape must be"),
        (("summary", "resnet18", "--classes", "0"), "head.classes"),
        (
            ("export", "seed_resnet50", "--input-shape", "16,16,3", "--format", "python"),
            "cannot export",
        ),
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
    out = run("summary", "seed_resnet50", "--input-shape", "16,16,3", "--json")
    assert out.returncode == 1 and json.loads(out.stdout)["name"] == "seed_resnet50"


@pytest.mark.slow
def test_race_prints_both_runs_in_the_train_json_form(tmp_path):
    import os

    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "resnet_core",
            "race",
            "cifar_resnet20",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--limit",
            "200",
            "--batch-size",
            "32",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    residual, plain = json.loads(out.stdout.strip().splitlines()[-1])
    assert (residual["name"], plain["name"]) == ("cifar_resnet20", "cifar_plain20")
    for summary in (residual, plain):
        assert summary["status"] == "completed" and summary["run_id"]
        assert set(summary["history"][0]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert summary["images_per_second"] > 0


@pytest.mark.slow
def test_train_then_resume_with_more_epochs_and_new_settings(tmp_path):
    import os

    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path)}

    def train(*args):
        out = subprocess.run(
            [sys.executable, "-m", "resnet_core", "train", *args, "--json"],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert "trains in this process" in out.stderr  # said plainly, off the JSON
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = train(
        "cifar_resnet20",
        "--limit",
        "200",
        "--batch-size",
        "32",
        "--epochs",
        "1",
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--weight-decay",
        "1e-4",
        "--schedule",
        "cosine",
    )
    resumed = train("--resume", first["run_id"], "--epochs", "2", "--lr", "0.01")
    assert resumed["run_id"] == first["run_id"] and resumed["status"] == "completed"
    assert [h["epoch"] for h in resumed["history"]] == [0, 1]
    from resnet_core.training import RunStore

    settings = RunStore(tmp_path).get(first["run_id"]).settings
    assert (
        settings["optimizer"],
        settings["learning_rate"],
        settings["weight_decay"],
        settings["schedule"],
        settings["epochs"],
    ) == ("sgd", 0.01, 1e-4, "cosine", 2)


def test_race_of_a_network_without_skips_says_what_to_do():
    out = run("race", "googlenet")
    assert out.returncode == 2 and "has no skip connections" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (("train", "cifar_resnet20", "--seed", "-1"), "--seed: seed must be 0 to 4,294,967,295"),
        (("train", "cifar_resnet20", "--epochs", "0"), "--epochs: epochs must be 1 to 1,000"),
        (("race", "cifar_resnet20", "--lr", "abc"), "--lr: expected a number"),
        (("race", "cifar_resnet20", "--batch-size", "2.5"), "expected an integer"),
        (("train", "cifar_resnet20", "--learning-rate", "nan"), "must be a finite number"),
        (("train", "cifar_resnet20", "--lr", "0"), "rate must be above 0 and at most 10, got 0"),
        (("train", "cifar_resnet20", "--weight-decay", "1"), "at least 0 and below 1, got 1"),
        (("train", "cifar_resnet20", "--optimizer", "rmsprop"), "invalid choice: 'rmsprop'"),
        (("train", "cifar_resnet20", "--steps", "10", "--epochs", "2"), "--epochs or --steps"),
        (("train",), "name the network to train"),
        (("train", "--resume", "nope"), "no run 'nope'"),
        (("train", "cifar_resnet20", "--resume", "nope"), "drop a network"),
        (("train", "--resume", "nope", "--workers", "2"), "resumed by one process"),
        (
            ("train", "cifar_resnet20", "--workers", "3", "--batch-size", "2"),
            "cannot be shared out over 3",
        ),
        (("race", "cifar_resnet20", "--workers", "2"), "unrecognized arguments: --workers"),
        (
            ("train", "cifar_resnet20", "--shapes-classes", "3"),
            "--shapes-classes is a setting of --dataset shapes, not of digits",
        ),
        (
            ("race", "cifar_resnet20", "--dataset", "shapes", "--shapes-size", "300"),
            "Generated shapes: image side must be a whole number from 8 to 128, got 300",
        ),
        (("train", "--resume", "nope", "--shapes-count", "60"), "drop --dataset, --limit"),
    ],
)
def test_bad_training_arguments_are_one_line_and_exit_2(args, words):
    out = run(*args)
    assert out.returncode == 2 and words in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr


def test_train_help_lists_every_option_of_the_train_settings():
    from resnet_core.training.settings import OPTIONS

    text = run("train", "--help").stdout
    for option in OPTIONS:
        flag = "--" + option.field.replace("_", "-")
        assert flag in text and option.help.split()[0] in text, flag
        for choice in option.choices:
            assert choice in text
    for flag in ("--resume", "--lr", "--dataset", "--augment", "--workers"):
        assert flag in text
    assert "trains in this process" in text  # not the app's queue, and it says so


def test_every_data_sources_settings_are_options_of_train_and_race():
    """The registry's settings become flags (``--shapes-classes``) and reach the choice."""
    from resnet_core.cli import _data_choice, parser
    from resnet_core.data import SOURCES

    for command in ("train", "race"):
        text = run(command, "--help").stdout
        for s in SOURCES.values():
            for o in s.options:
                assert f"--{s.key(o).replace('_', '-')} N" in text, (command, s.key(o))
    args = parser().parse_args(
        [
            "race",
            "cifar_resnet20",
            "--dataset",
            "shapes",
            "--shapes-classes",
            "3",
            "--shapes-count",
            "60",
        ]
    )
    choice = _data_choice(args)
    assert choice.source == "shapes"
    assert choice.options == {
        "classes": 3,
        "count": 60,
        "size": SOURCES["shapes"].options[1].default,
    }


def test_a_bad_tf_config_is_one_line(tmp_path):
    import os

    env = {**os.environ, "RESNET_EXPLORER_HOME": str(tmp_path)}
    for config, words in (
        ("{oops", "TF_CONFIG is not JSON"),
        ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps"}}', "task types 'ps'"),
        (
            '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 5}}',
            "task index 5",
        ),
        (
            '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}',
            "--workers 3 but TF_CONFIG names 2",
        ),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "resnet_core", "train", "cifar_resnet20", "--workers", "3"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "TF_CONFIG": config},
        )
        assert out.returncode == 2 and words in out.stderr, (config, out.stderr)
        assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_tensorflow_native_log_lines_are_kept_out_of_stderr():
    code = (
        "import sys; from resnet_core.cli import quiet_native_logs; quiet_native_logs(); "
        "import tensorflow as tf; tf.constant(1.0) + 1; "
        "print('a line of ours', file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0
    assert out.stderr == "a line of ours\n"


def test_native_log_pattern_drops_tensorflow_lines_only():
    from resnet_core.cli import NATIVE_LOG_LINE

    noise = [
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
        b"I0000 00:00:1795797065.078976    8340 port.cc:153] oneDNN custom operations\n",
        b"E0000 00:00:1795797071.359040    8340 cuda_platform.cc:52] failed call to cuInit\n",
    ]
    kept = [
        b"error: --seed: must be at least 0\n",
        b"Traceback (most recent call last):\n",
        b"F0000 00:00:1795797071.359040    8340 x.cc:1] Check failed\n",
        b"I0 x\n",
    ]
    assert all(NATIVE_LOG_LINE.match(line) for line in noise)
    assert not any(NATIVE_LOG_LINE.match(line) for line in kept)


# -------------------------------------------------------------- fuzzing the arguments
def _flags() -> dict:
    """Each command's options, read from the parser itself."""
    from resnet_core.cli import parser

    sub = next(a for a in parser()._actions if a.dest == "command")
    return {
        name: sorted(
            flag
            for a in p._actions
            for flag in a.option_strings
            if flag not in ("-h", "--output", "-o")
        )
        for name, p in sub.choices.items()
    }


VALUES = [
    "0",
    "1",
    "2",
    "-1",
    "3",
    "32",
    "1e-3",
    "0.5",
    "nan",
    "inf",
    "-0",
    "1e999",
    "9" * 5000,
    "2.5",
    "abc",
    "",
    " ",
    "\udcff",
    "'\";--",
    "digits",
    "shapes",
    "sgd",
    "adamw",
    "cosine",
    "one_cycle",
    "on",
    "off",
    "auto",
    "adapt",
    "resize",
    "json",
    "python",
    "8,8,3",
    "a,b",
    "32,32,3,1",
    "1,1,1",
    "0,0,3",
]


SWITCHES = ("--json", "--augment", "--plain", "--both", "--help")


@pytest.fixture(scope="module")
def spec_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("specs")
    (folder / "bad.json").write_text('{"name": "x"')
    (folder / "notutf8.json").write_bytes(b"\xff\xfe\x00")
    (folder / "list.json").write_text("[1, 2]")
    (folder / "huge.json").write_text('{"format_version": ' + "9" * 5000 + "}")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "dir.json").mkdir()
    return [str(p) for p in sorted(folder.iterdir())]


def test_no_command_line_gives_a_traceback(spec_files, tmp_path_factory, monkeypatch):
    """Any arguments: exit 0 or 2 (1: a summary of a network that cannot be built), at most
    one line on stderr for a refusal, never a traceback. Training, the worker processes
    and the gradient measurement are replaced by fakes: the arguments are what is tested."""
    import contextlib
    import io

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from resnet_core import cli, gradients
    from resnet_core.training import distributed, engine

    def fake_group(store, run_ids):
        return [
            {"run_id": i, "name": "x", "status": "completed", "device": "CPU", "history": []}
            for i in run_ids
        ]

    monkeypatch.setattr(engine, "execute_group", fake_group)
    monkeypatch.setattr(distributed, "launch", lambda argv, workers, note=None: 0)

    class FakeReport:
        def to_dict(self):
            return {}

    monkeypatch.setattr(gradients, "measure", lambda *a, **k: FakeReport())
    monkeypatch.setattr(gradients, "format_table", lambda report: "")
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("TF_CONFIG", raising=False)
    out_file = str(tmp_path_factory.mktemp("out") / "out.txt")
    specs = [
        "cifar_resnet20",
        "googlenet",
        "seed_resnet50",
        "cifar_resnet1202",
        "nope",
        "cifar_resnet38",
        "nobn_resnet9999",
        *spec_files,
    ]
    flags = {**_flags(), "bogus": ["--json"]}
    value = st.one_of(st.sampled_from(VALUES), st.text(max_size=8))
    arguments = st.sampled_from(sorted(flags)).flatmap(
        lambda command: st.tuples(
            st.just(command),
            st.lists(st.sampled_from(specs), max_size=2),
            st.lists(st.tuples(st.sampled_from(flags[command]), value), max_size=4),
            st.booleans(),
        )
    )

    @settings(
        max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(arguments)
    def check(parts):
        command, positional, options, to_file = parts
        argv = [command, *positional]
        for flag, value in options:
            argv += [flag] if flag in SWITCHES else [flag, value]
        if to_file:
            argv += ["-o", out_file]
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
                code = exc.code
        stderr = err.getvalue()
        assert "Traceback" not in stderr and "unexpected" not in stderr, (argv, stderr)
        assert code in (0, 2) or (code == 1 and command == "summary"), (argv, code, stderr)
        if code == 2:
            assert len(stderr.strip().splitlines()) == 1, (argv, stderr)

    check()


# ------------------------------------------------ file arguments (issue 18, item 8)
def _main(capsys, *argv):
    from resnet_core import cli

    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_devices_pipes_and_huge_files_are_refused_before_they_are_read(tmp_path):
    """Under a 1 GB address-space limit, so a read of them all would fail, not swap."""
    import os
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    sparse = tmp_path / "sparse.json"
    with open(sparse, "wb") as f:
        f.truncate(2 << 30)  # 2 GB, no block of it on disk
    os.mkfifo(tmp_path / "pipe.json")
    for source, words in (
        (os.devnull.replace("null", "zero"), "not a regular file"),
        (str(tmp_path / "pipe.json"), "not a regular file"),
        (str(sparse), "a spec file is at most 1 MB"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "resnet_core", "summary", source],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=limit,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        assert out.returncode == 2 and words in out.stderr, (source, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1


def test_a_spec_file_is_read_no_further_than_its_limit(tmp_path, monkeypatch):
    """A file that grows after its size was read (a log, say) stops at limit + 1 bytes."""
    import os

    from resnet_core import cli

    grown = tmp_path / "grown.json"
    grown.write_text("{}")
    real_fstat, reads = os.fstat, []

    def small_fstat(fd):  # the size seen when checked: small
        info = real_fstat(fd)
        return os.stat_result((*info[:6], 2, *info[7:]))

    def endless(fd, n):
        reads.append(n)
        return b" " * n

    monkeypatch.setattr(cli.os, "fstat", small_fstat)
    monkeypatch.setattr(cli.os, "read", endless)
    with pytest.raises(cli.UsageError, match="at most 1 MB"):
        cli.read_spec_file(str(grown))
    assert sum(reads) == cli.MAX_SPEC_BYTES + 1


def test_folders_and_unreadable_text_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "latin1.json").write_bytes(b'{"name": "r\xe9seau"}')
    for source, words in (
        (str(tmp_path), "is a folder"),
        (str(tmp_path / "latin1.json"), "is not UTF-8 text"),
    ):
        code, _, err = _main(capsys, "summary", source)
        assert code == 2 and words in err and "please report" not in err, err


def test_export_to_a_folder_or_a_missing_folder_says_what_to_fix(tmp_path, capsys):
    cases = [
        (tmp_path, "it is a folder; give a file name"),
        (tmp_path / "nowhere" / "net.json", f"the folder {tmp_path / 'nowhere'} does not exist"),
    ]
    for target, words in cases:
        code, _, err = _main(capsys, "export", "cifar_resnet20", "-o", str(target))
        assert code == 2 and words in err and "please report" not in err, err
    code, _, err = _main(capsys, "export", "cifar_resnet20", "-o", str(tmp_path / "net.json"))
    assert code == 0 and (tmp_path / "net.json").read_text().startswith("{")


def test_an_export_cut_off_by_a_full_disk_leaves_no_file(tmp_path, capsys, monkeypatch):
    import builtins
    import errno

    real_open = builtins.open

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            self.f.write(text[:10])
            self.f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "net.json"
    monkeypatch.setattr(
        builtins,
        "open",
        lambda p, *a, **k: (
            Full(real_open(p, *a, **k)) if str(p) == str(target) else real_open(p, *a, **k)
        ),
    )
    code, _, err = _main(capsys, "export", "cifar_resnet20", "-o", str(target))
    assert code == 2 and "no space left on device" in err and not target.exists(), err


@pytest.mark.parametrize("value", ["-5", "0", "8193"])
def test_summary_refuses_batch_sizes_out_of_the_training_bounds(value, capsys):
    with pytest.raises(SystemExit) as stop:
        _main(capsys, "summary", "cifar_resnet20", "--json", "--batch-size", value)
    assert stop.value.code == 2
    assert "batch size must be 1 to 8,192" in capsys.readouterr().err
