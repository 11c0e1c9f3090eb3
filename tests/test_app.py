"""The explorer's pages through Streamlit's AppTest: every page, its main interactions."""

import json
import os
from pathlib import Path

import pytest

from resnet_core import PRESETS, analyze, get_spec
from resnet_core.share import encode_spec
from tests.apptest import app, metric, plain
from ui.router import PAGE_FILES, SECTIONS

ROOT = Path(__file__).resolve().parent.parent
# The explorer's pages (the router's "Explore" section): none of them may import Keras.
PAGES = [f for f, *_ in SECTIONS["Explore"]]


def sidebar_text(at):
    """The sidebar as a person reads it: markdown escapes undone."""
    return plain(" ".join(m.value for m in at.sidebar.markdown))


def test_each_page_file_is_named_as_its_url_path():
    """A first request for /residual finds pages/residual.py by name (Streamlit's legacy
    pages/ mode, before app.py's navigation runs); another name opens "Page not found"."""
    from pathlib import PurePosixPath

    for file, _, _, url in (row for rows in SECTIONS.values() for row in rows):
        assert PurePosixPath(file).stem == (url or "home"), file


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_opens_without_exception_and_shows_the_network(page):
    at = app(page, preset="cifar_resnet56")
    assert not at.exception
    assert "cifar_resnet56" in sidebar_text(at)
    assert "857,082" in sidebar_text(at)
    assert not [e for e in at.error]


def test_home_lists_every_preset_and_the_device():
    at = app()
    text = " ".join(m.value for m in at.markdown)
    assert "Training device:" in text and "CPU" in text
    assert at.title[0].value == "ResNet Explorer"
    # A card per preset: a human name, no bare ids or "seed", links to Compose and Train.
    links = [(e.proto.label, e.proto.page) for e in at.main.get("page_link")]
    for target in ("compose", "train"):  # and one more: the "Start here" step
        assert sum(t == target for _, t in links) == len(PRESETS) + 1
    assert "**ResNet-50, small images**" in text and "**Plain-56 for CIFAR-10**" in text
    assert "**1 · Look at a network**" in text and "**3 · Train it**" in text
    main = " ".join(m.value for m in [*at.main.markdown, *at.main.caption]).lower()
    assert "seed" not in main and "source documents" not in main


def test_home_puts_each_residual_net_beside_its_plain_twin():
    from types import SimpleNamespace

    from resnet_core.presets import RESIDUAL_TWINS
    from ui.preset_cards import cards, rows

    placed = {}
    for members in cards().values():
        laid = rows(members)
        assert sorted(c.name for r in laid for c in r) == sorted(c.name for c in members)
        for i, row in enumerate(laid):
            assert 1 <= len(row) <= 3
            placed.update({c.name: i for c in row})
            if all(c.name in {*RESIDUAL_TWINS, *RESIDUAL_TWINS.values()} for c in row):
                assert len(row) == 2  # a family of pairs: one pair a row
    for residual, twin in RESIDUAL_TWINS.items():
        assert placed[residual] == placed[twin], residual
    # A pair and a single card share a row of three; only a family of pairs goes two across.
    pair_and_one = [SimpleNamespace(name=n) for n in ("cifar_resnet20", "cifar_plain20", "x")]
    assert [len(r) for r in rows(pair_and_one)] == [3]


def test_preset_by_url_and_hostile_urls():
    assert metric(app("pages/compose.py", preset="resnet50"), "Parameters") == "25,636,712"
    for query in (
        {"preset": "<script>alert(1)</script>"},
        {"spec": "!!!not-a-spec"},
        {"spec": "A" * 50_000},
        {"spec": encode_spec(get_spec("vgg16"))[:40]},
    ):
        at = app(**query)
        assert "271,098" in sidebar_text(at)  # the default network
        assert at.warning and "cifar_resnet20" in plain(at.warning[0].value)
        assert "<script>" not in at.warning[0].value


def test_compose_says_why_a_size_is_refused_and_hides_unused_pool_fields():
    at = app("pages/compose.py", preset="cifar_resnet20")
    at.number_input(key="h_1").set_value(0).run()
    assert any("Height must be at least 1" in plain(e.value) for e in at.error)
    labels = [n.label for n in at.number_input] + [s.label for s in at.selectbox]
    assert "Pool size" not in labels and "Pool padding" not in labels  # global pooling
    at.selectbox(key="pool_1").set_value("avg").run()
    labels = [n.label for n in at.number_input] + [s.label for s in at.selectbox]
    assert "Pool size" in labels and "Pool padding" in labels


def test_compose_editors_leave_cells_a_kind_does_not_read_empty():
    # The frames hold None there; without a placeholder the grid writes "None" in them.
    at = app("pages/compose.py", preset="resnet18")
    editors = [
        e.proto for e in at.main if getattr(e, "type", "") == "dataframe" and e.proto.editing_mode
    ]
    assert len(editors) == 2  # stem and stages
    assert all(p.HasField("placeholder") and p.placeholder == "" for p in editors)


def test_edit_input_updates_totals_and_the_url():
    at = app("pages/compose.py", preset="cifar_resnet20")
    at.number_input(key="cls_1").set_value(100).run()
    expected = analyze(
        get_spec("cifar_resnet20").replace(
            head=get_spec("cifar_resnet20").head.__class__(classes=100)
        )
    ).totals.total_params
    assert metric(at, "Parameters") == f"{expected:,}"
    assert at.query_params["base"] == "cifar_resnet20" and at.query_params["spec"]

    # the URL reproduces the edit in a new session
    fresh = app("pages/compose.py", base=at.query_params["base"], spec=at.query_params["spec"])
    assert metric(fresh, "Parameters") == f"{expected:,}"
    assert metric(fresh, "Output") == "100"


def test_invalid_value_is_marked_and_last_valid_figures_stay():
    at = app("pages/compose.py", preset="cifar_resnet20")
    at.text_input(key="hid_1").input("0, -5").run()
    errors = [e.value for e in at.error]
    # In the form's words, every problem at once, escaped (the text quotes the input).
    assert "Hidden dense layers, number 2 must be at least 1, got &#45;5" in errors
    errors = [plain(e) for e in errors]
    assert "Hidden dense layers, number 1 must be at least 1, got 0" in errors
    assert metric(at, "Parameters") == "271,098"
    assert "Fix the 2 marked values" in at.warning[0].value


def test_unbuildable_network_shows_the_failure_and_partial_stages():
    at = app("pages/compose.py", preset="seed_resnet50")
    at.number_input(key="h_1").set_value(16).run()
    at.number_input(key="w_1").set_value(16).run()  # the first edit renamed; the keys stay
    errors = plain(" ".join(e.value for e in at.error))
    assert "cannot be built" in errors and "head_pool" in errors and "1×1" in errors
    glance = at.dataframe[-1].value
    assert list(glance["stage"]) == ["stem", "stage1", "stage2", "stage3", "stage4"]


def test_preset_switch_reset_and_stage_moves():
    at = app("pages/compose.py", preset="resnet18")
    at.selectbox(key="preset_1_preset").set_value("resnet34").run()
    assert metric(at, "Parameters") == f"{analyze(get_spec('resnet34')).totals.total_params:,}"
    assert not [b for b in at.button if b.label == "Reset to preset"]  # nothing to reset
    at.number_input(key="c_2").set_value(1).run()  # grey input
    # The edited network is no longer called resnet34, and the box says "custom".
    assert at.session_state["spec"].name == "resnet34_edited"
    assert at.session_state["spec"].description == "Edited from the preset resnet34."
    assert at.selectbox(key="preset_2_custom").value.startswith("custom")
    assert at.text_input(key="name_2").value == "resnet34_edited"  # the box says so too
    assert at.button[0].label == "Reset to preset" and not at.button[0].disabled
    at.button[0].click().run()
    assert metric(at, "Parameters") == f"{analyze(get_spec('resnet34')).totals.total_params:,}"
    assert at.query_params["preset"] == "resnet34"

    at = app("pages/compose.py", preset="cifar_resnet20")
    at.selectbox(key="move_1").set_value(2).run()
    next(b for b in at.button if b.label == "Move up").click().run()
    assert not at.exception
    moved = json.loads(json.dumps(at.session_state["spec"].to_dict()))
    assert [s["filters"] for s in moved["stages"]] == [32, 16, 64]


def test_inspect_filters_and_memory():
    at = app("pages/inspect.py", preset="resnet18")
    table = at.dataframe[0].value
    assert len(table) == len(analyze(get_spec("resnet18")).layers)
    at.multiselect[0].set_value(["stage2"]).run()
    assert set(at.dataframe[0].value["stage"]) == {"stage2"}
    at.multiselect[1].set_value(["conv"]).run()
    assert len(at.dataframe[0].value) == 5  # 4 convs + the projection
    at.number_input[0].set_value(64).run()
    assert any(m.label == "Activations" for m in at.metric)


def test_inspect_tables_fit_1024_px():
    """Every shown column has a set width and their sum fits beside the sidebar at
    1024 px (about 680 px): free-sized columns pushed params and MACs off screen."""
    import json as _json

    at = app("pages/inspect.py", preset="resnet152")
    named = {"small": 75, "medium": 200, "large": 400}
    for frame in (at.dataframe[0], at.dataframe[1]):
        config = _json.loads(frame.proto.columns)
        shown = list(frame.proto.column_order) or [c for c in config if c != "_index"]
        widths = [config.get(c, {}).get("width") for c in shown]
        assert None not in widths, dict(zip(shown, widths))
        assert sum(named.get(w, w) for w in widths) <= 680, dict(zip(shown, widths))
    at.checkbox[1].check().run()  # More columns
    assert "trainable" in list(at.dataframe[0].proto.column_order)


def test_graph_levels_render_and_go_into_the_url():
    at = app("pages/graph.py", preset="resnet152")
    for level, node in (
        ("stage", "stage3"),
        ("block", "stage3_block36"),
        ("layer", "stage3_block36_conv3"),
    ):
        at.radio[0].set_value(level).run()
        assert not at.exception
        data = json.loads(at.get("bidi_component")[0].proto.json)  # the graph explorer
        assert f'id="node:{node}"' in data["svg"] and node in data["nodes"]
        assert at.query_params["level"] == level and at.query_params["preset"] == "resnet152"
    at.radio[1].set_value("LR").run()
    assert at.query_params["direction"] == "LR" and at.query_params["level"] == "layer"


def test_compare_a_resnet_with_its_plain_twin():
    at = app("pages/compare.py", preset="cifar_resnet56")
    totals = at.dataframe[0].value
    assert list(totals.columns[:3]) == ["", "A", "B"]
    assert totals.iloc[0]["B − A"] == "+0"  # option A adds no parameters
    at.selectbox[1].set_value("resnet50").run()
    assert at.dataframe[0].value.iloc[0]["B"] == "25,636,712"


def test_code_page_exports_and_loads_specs():
    at = app("pages/code.py", preset="cifar_resnet20")
    assert "def build_model" in at.code[0].value
    assert json.loads(at.code[1].value)["name"] == "cifar_resnet20"

    bad = get_spec("resnet18").to_dict()
    bad["stages"][2]["filters"] = -4
    at.text_area[0].input(json.dumps(bad)).run()
    next(b for b in at.button if b.label == "Load the pasted text").click().run()
    assert any("not a valid spec" in e.value for e in at.error)
    assert "• Stage 3, filters must be at least 1, got -4 (in the file: stages[2].filters)" in [
        t.value for t in at.text
    ]
    assert "cifar_resnet20" in sidebar_text(at)

    at.text_area[0].input(get_spec("googlenet").to_json()).run()
    next(b for b in at.button if b.label == "Load the pasted text").click().run()
    assert "googlenet" in sidebar_text(at)
    assert at.query_params["preset"] == "googlenet"


def test_the_server_never_imports_tensorflow(tmp_path, monkeypatch):
    """No page, and on the Train and Race pages no data source of the registry, imports
    TensorFlow or Keras into the Streamlit server: the explorer opens fast and training
    happens in the worker."""
    import subprocess
    import sys

    import numpy as np

    from resnet_core.data import SOURCES
    from resnet_core.data.datasets import converted_path

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    for name, source in SOURCES.items():  # Keras's: small stand-ins, in our format
        if source.keras:
            path = converted_path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                path,
                x=rng.integers(0, 256, (60, 28, 28, 1), dtype=np.uint8),
                y=np.arange(60) % len(source.keras.class_names),
            )
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from resnet_core.data import SOURCES\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120).run()\n"
        f"for p in {PAGE_FILES!r}:\n"
        "    at.switch_page(p).run()\n"
        "    assert not at.exception, p\n"
        "at.switch_page('pages/train.py').run()\n"
        "for source in SOURCES:\n"
        "    next(s for s in at.selectbox if s.label == 'Dataset').set_value(source).run()\n"
        "    assert not at.exception and not at.error, (source, at.error)\n"
        "at.switch_page('pages/race.py').run()\n"
        "for source in (k for k, s in SOURCES.items() if s.quick):\n"
        "    next(s for s in at.selectbox if s.label == 'Data').set_value(source).run()\n"
        "    assert not at.exception and not at.error, (source, at.error)\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _wait_for(predicate, timeout=120):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_train_page_queues_a_run_that_the_worker_trains_and_runs_page_shows_it(
    tmp_path, monkeypatch
):
    from resnet_core.training import RunStore

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    at = app("pages/train.py", preset="cifar_resnet20")
    assert any(m.label == "Per epoch" for m in at.metric)
    assert [e for e in at.main if type(e).__name__ == "Image"]  # the preview grid
    at.number_input[0].set_value(200).run()  # images to use
    next(n for n in at.number_input if n.label == "Epochs").set_value(1).run()
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    store = RunStore(tmp_path)
    (run,) = store.list()
    assert run.name == "cifar_resnet20" and run.data["subset"] == 200
    _wait_for(lambda: store.get(run.id).status == "completed")

    at = app("pages/runs.py")
    assert not at.exception
    assert at.dataframe[0].value.iloc[0]["status"] == "completed"
    assert any(m.label == "Validation accuracy" for m in at.metric)
    labels = [b.label for b in at.get("download_button")]
    assert "Model (.keras)" in labels and "Metrics (CSV)" in labels


def test_train_page_refuses_settings_that_cannot_work(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    at = app("pages/train.py", preset="cifar_resnet20")
    at.number_input[0].set_value(50).run()
    next(n for n in at.number_input if n.label == "Batch size").set_value(512).run()
    assert any("larger than the 40 training images" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Train"]  # refused before a click
    from resnet_core.training import RunStore

    assert RunStore(tmp_path).list() == []


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_can_be_trained_from_the_train_page_at_its_defaults(
    preset, tmp_path, monkeypatch
):
    """On the embedded digits, every preset gets a Train button on the first visit; where
    the chosen fit cannot work the other is taken and said in one line."""
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    # The page, not the worker, is under test: one warm worker per preset's scratch home
    # would be a TensorFlow process (~700 MB) each.
    monkeypatch.setattr("ui.training_form.ensure_worker", lambda home=None: None)
    at = app("pages/train.py", preset=preset)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]
    assert [b for b in at.button if b.label == "Train"]
    notes = [
        c.value
        for c in at.caption
        if "are too small for" in c.value or "cannot take the images" in c.value
    ]
    assert len(notes) <= 1


def test_train_page_shows_the_active_run_whatever_network_is_selected(tmp_path, monkeypatch):
    from resnet_core.training import RunStore

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    store = RunStore(tmp_path)
    run_id = store.create("cifar_resnet56", {}, {}, {"epochs": 3})
    store.update(run_id, status="running", phase="compiling", worker_pid=os.getpid())
    at = app("pages/train.py", preset="vgg16")  # another network, a fresh session
    texts = " ".join(p.proto.text for p in at.get("progress"))
    assert "compiling the network" in texts
    assert any(b.label == "Stop" for b in at.button)


def test_upload_asks_for_a_file_before_anything_else(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    at = app("pages/train.py", preset="cifar_resnet20")
    at.selectbox[0].set_value("upload").run()
    assert any("Choose a file" in i.value for i in at.info)
    assert not at.exception


def test_train_settings_survive_a_reload(tmp_path, monkeypatch):
    """A new session (a reload, during a run too) shows the settings set last."""
    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    at = app("pages/train.py", preset="cifar_resnet20")
    next(n for n in at.number_input if n.label == "Epochs").set_value(15).run()
    next(s for s in at.selectbox if s.label == "Optimizer").set_value("sgd").run()
    at.number_input[0].set_value(300).run()  # images to use

    again = app("pages/train.py", preset="cifar_resnet20")
    assert next(n for n in again.number_input if n.label == "Epochs").value == 15
    assert next(s for s in again.selectbox if s.label == "Optimizer").value == "sgd"
    assert again.number_input[0].value == 300

    # A remembered value the form no longer offers is dropped for the default.
    (tmp_path / "train_form.json").write_text('{"epochs": 99999, "optimizer": "rmsprop"}')
    fresh = app("pages/train.py", preset="cifar_resnet20")
    assert next(n for n in fresh.number_input if n.label == "Epochs").value != 99999
    assert next(s for s in fresh.selectbox if s.label == "Optimizer").value == "adam"


def test_a_spec_larger_than_the_stated_limit_is_refused_with_the_limit():
    at = app("pages/code.py", preset="cifar_resnet20")
    uploader_label = next(w.label for w in at.get("file_uploader"))
    assert "at most 1 MB" in uploader_label and "at most 1 MB" in at.text_area[0].label
    big = get_spec("cifar_resnet20").replace(description="x" * 100).to_json() + " " * 1_100_000
    at.text_area[0].input(big).run()
    next(b for b in at.button if b.label == "Load the pasted text").click().run()
    assert any("a spec is at most 1 MB" in plain(e.value) for e in at.error)


def test_train_page_offers_imagenet_weights_only_where_keras_has_them(
    tmp_path, monkeypatch, weights_offline
):
    """Offered for a preset with a Keras Applications twin, refused at the click (not
    after queueing) when the weights are neither cached nor downloadable."""
    from resnet_core.training import RunStore

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    at = app("pages/train.py", preset="cifar_resnet20")
    assert not [s for s in at.selectbox if s.label == "Start from"]
    at = app("pages/train.py", preset="resnet50")
    at.number_input[0].set_value(50).run()  # images to use
    next(s for s in at.selectbox if s.label == "Start from").set_value("imagenet_frozen").run()
    assert any("Keras downloads them once" in c.value for c in at.caption)
    assert any("the network takes 224×224×3" in c.value for c in at.caption)  # resized
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    assert any(
        "ImageNet weights of ResNet50 are not in Keras" in plain(e.value) for e in at.error
    ), [e.value for e in at.error]
    assert RunStore(tmp_path).list() == []


# --------------------------------------------------------------------------- navigation
def _query(link) -> dict:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(link.proto.query_string))


def test_every_menu_link_carries_the_address_the_app_will_write():
    """A page change is one history entry only when the link already says what the app
    writes there (Streamlit's own menu opened pages with no query; the app wrote it back:
    two entries, and Back seemed to do nothing)."""
    at = app("pages/compose.py", preset="cifar_resnet20")
    at.number_input(key="cls_1").set_value(7).run()
    network = {k: at.query_params[k] for k in ("base", "spec")}
    links = {link.proto.page: _query(link) for link in at.sidebar.get("page_link")}
    assert set(links) == {u for rows in SECTIONS.values() for *_, u in rows}
    for page, query in links.items():
        view = {"level": "stage", "direction": "TB"} if page == "graph" else {}
        assert query == {**network, **view}, page
    # In a talk the links keep talk mode (the menus are in the page's top bar).
    talk = app("pages/inspect.py", preset="resnet18", talk="1")
    menu = [_query(link) for link in talk.main.get("page_link")]
    assert len(menu) == len(links) and all(q["talk"] == "1" for q in menu)
    # Home's preset cards open their preset, in talk mode too.
    cards = [
        _query(link)
        for link in app(talk="1").main.get("page_link")
        if link.proto.page == "compose" and link.proto.label == "Compose"
    ]
    assert {"preset": "resnet50", "talk": "1"} in cards


def test_a_rerun_carrying_the_address_from_before_an_edit_keeps_the_edit():
    """A widget's rerun may carry the address from before the app's last write (an edit
    made while the page redrew): it is not a link, and the edit stays."""
    at = app("pages/compose.py", preset="cifar_resnet20")
    at.number_input(key="cls_1").set_value(7).run()
    at.query_params.clear()
    at.query_params["preset"] = "cifar_resnet20"  # the address before the first edit
    at.number_input(key="h_1").set_value(40).run()
    spec = at.session_state["spec"]
    assert (spec.head.classes, spec.input_shape[0]) == (7, 40)


def test_resume_opens_the_resumed_runs_network_on_train(tmp_path, monkeypatch):
    from resnet_core.training import RunStore

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    store = RunStore(tmp_path)
    run_id = store.create("cifar_resnet20", get_spec("cifar_resnet20").to_dict(), {}, {"epochs": 1})
    store.update(run_id, status="stopped")
    (store.run_dir(run_id) / "checkpoint.keras").write_bytes(b"")
    at = app("pages/runs.py", preset="seed_resnet50")
    next(b for b in at.button if b.label == "Resume from checkpoint").click().run()
    assert at.session_state["spec"] == get_spec("cifar_resnet20")
    assert at.query_params["preset"] == "cifar_resnet20"
    assert "cifar_resnet20" in sidebar_text(at)
