"""The Learn pages and Compare through Streamlit's AppTest."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_core import analyze, get_spec
from resnet_core.blocks import BLOCK_KINDS
from tests.apptest import app, metric, plain

ROOT = Path(__file__).resolve().parent.parent
LEARN = ["pages/gradients.py", "pages/residual.py", "pages/blocks.py", "pages/degradation.py"]


def text(at):
    return " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("page", LEARN + ["pages/compare.py"])
@pytest.mark.parametrize("talk", ["0", "1"])
def test_page_opens_plain_and_in_talk_mode(page, talk):
    at = app(page, preset="cifar_resnet20", talk=talk)
    assert not at.error


@pytest.mark.slow
def test_boosting_steps_through_stages_with_one_click_each():
    at = app("pages/residual.py")
    assert metric(at, "Stage") == "1 of 30"
    mse = [float(metric(at, "Squared residual"))]
    for expected in (2, 3):
        next(b for b in at.button if b.label == "Next stage ▶").click().run()
        assert metric(at, "Stage") == f"{expected} of 30"
        mse.append(float(metric(at, "Squared residual")))
    assert mse[0] > mse[1] > mse[2]
    assert "predicts the same sum: exactly the same values." in text(at)  # scikit-learn's
    assert "GradientBoostingRegressor(n_estimators=3, max_depth=2" in text(at)
    next(b for b in at.button if b.label == "◀ Previous").click().run()
    assert metric(at, "Stage") == "2 of 30"
    next(b for b in at.button if b.label == "Reset").click().run()
    assert metric(at, "Stage") == "0 of 30"
    at.selectbox[0].set_value("sine").run()
    at.radio[0].set_value("mean").run()
    next(b for b in at.button if b.label == "Next stage ▶").click().run()
    assert "init='zero'" not in text(at) and "the same values" in text(at)
    assert len(at.get("plotly_chart")) == 3  # fit, residual, function classes


def test_block_gallery_lists_every_kind_with_figures_and_code():
    at = app("pages/blocks.py")
    table = at.dataframe[0].value
    assert list(table["kind"]) == list(BLOCK_KINDS)
    assert len(at.get("graphviz_chart")) == len(BLOCK_KINDS)
    basic = table.set_index("kind").loc["basic"]
    # a basic block 64 → 64 on 16×16: two 3×3 convs with bias and two BatchNorms
    assert basic["parameters"] == f"{2 * (9 * 64 * 64 + 64) + 2 * 4 * 64:,}"
    assert basic["output"] == "16×16×64" and basic["skip connections"] == 1
    assert table.set_index("kind").loc["inception"]["skip connections"] == 0
    codes = [c.value for c in at.code]
    assert any("build.basic_block(x, 64, stride=1, shortcut='projection')" in c for c in codes)
    assert sum("def build_model" in c for c in codes) == len(BLOCK_KINDS)
    assert any(BLOCK_KINDS["bias_bottleneck"].summary in m.value for m in at.markdown)

    at.selectbox(key="gallery_stride").set_value(2).run()
    table = at.dataframe[0].value.set_index("kind")
    assert table.loc["basic"]["output"] == "8×8×64"
    at.number_input(key="gallery_width").set_value(66).run()  # not a multiple of 4
    table = at.dataframe[0].value.set_index("kind")
    assert "multiple of expansion 4" in table.loc["bottleneck"]["output"]
    assert table.loc["basic"]["output"] == "8×8×66"
    assert not at.exception


def words(table):
    """A static table as a person reads it (st.table shows markdown: escaped text)."""
    frame = table.value.map(plain)
    frame.index = [plain(i) for i in frame.index]
    return frame


def test_compare_shows_skips_blocks_and_human_deltas():
    at = app("pages/compare.py", preset="cifar_resnet20")
    matters = words(at.table[0])
    assert matters.loc["skip connections", "A"] == "9 skip connections: 7 identity, 2 zero-pad"
    assert matters.loc["skip connections", "B"] == "no skip connections"
    assert matters.loc["blocks per stage", "A"] == "3–3–3"
    totals = at.dataframe[0].value
    assert totals.iloc[0]["B − A"] == "+0"
    stages = words(at.table[1])
    assert stages.loc["stage2", "A"] == "shortcuts 2 identity, 1 zero-pad"
    assert stages.loc["stage2", "B"] == "shortcuts none"
    assert stages.loc["stem", "A"] == "same" and stages.loc["stage2", "Δ params"] == "+0"
    assert at.dataframe[1].value.set_index("stage").loc["stage2", "blocks A → B"] == "3 → 3"

    at.selectbox[1].set_value("resnet50").run()
    totals = at.dataframe[0].value.set_index("")
    a, b = (analyze(get_spec(n)).totals for n in ("cifar_resnet20", "resnet50"))
    assert totals.loc["MACs", "B − A"] == "+3.82 G" == "+" + f"{(b.macs - a.macs) / 1e9:.2f} G"
    assert totals.loc["parameters", "B"] == "25,636,712"
    assert totals.loc["parameters", "B − A"].endswith(" M")


def test_compare_names_groups_and_pre_activation_from_the_core():
    """The page lays out resnet_core.compare: ResNeXt's groups, v2's pre-activation and
    max-pool skips, in the same words on both sides."""
    at = app("pages/compare.py", preset="resnet50")
    at.selectbox[1].set_value("resnext50_32x4d").run()
    matters = words(at.table[0])
    assert matters.loc["groups"].tolist() == ["every stage: 1", "every stage: 32"]
    assert "width per group" in matters.index
    stages = words(at.table[1])
    assert stages.loc["stage1", "B"].split("  \n") == [
        "inner width 128",
        "groups 32",
        "width per group 4",
    ]  # a line each
    at.selectbox[1].set_value("resnet50v2").run()
    matters = words(at.table[0])
    assert matters.loc["pre-activation"].tolist() == ["every stage: no", "every stage: yes"]
    assert matters.loc["skip connections", "B"].endswith("3 subsample (max-pool)")
    assert not at.exception


def test_compare_defaults_to_the_current_network_without_skips():
    at = app("pages/compare.py", preset="resnet18")
    assert at.selectbox[1].value == "(current network without skips)"
    matters = words(at.table[0])
    assert matters.loc["skip connections", "B"] == "no skip connections"
    assert "projection" in matters.loc["skip connections", "A"]


def test_hostile_spec_name_is_escaped_on_compare():
    spec = get_spec("cifar_resnet20").replace(name="[x](javascript:alert(1)) *b* `c`")
    from resnet_core.share import encode_spec

    at = app("pages/compare.py", base="cifar_resnet20", spec=encode_spec(spec))
    heading = next(m.value for m in at.markdown if m.value.startswith("**A:"))
    assert "&#91;x&#93;&#40;javascript&#58;alert&#40;1&#41;&#41;" in heading
    assert "&#42;b&#42;" in heading and "&#96;c&#96;" in heading


@pytest.mark.slow
def test_gradient_page_measures_in_a_child_process_without_tensorflow_here():
    """Press the button: figures arrive from `python -m resnet_core gradients`; the
    server's own process never imports TensorFlow."""
    script = (
        "import json, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=300).run()\n"
        f"for p in {LEARN!r}:\n"
        "    at.switch_page(p).run()\n"
        "at.switch_page('pages/gradients.py').run()\n"
        "at.select_slider[0].set_value(0)\n"
        "at.button[0].click().run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "print(json.dumps({'tf': sorted(m for m in ('tensorflow', 'keras') if m in "
        "sys.modules), 'md': [m.value for m in at.markdown], 'errors': [e.value for e in "
        "at.error], 'charts': len(at.get('plotly_chart'))}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["tf"] == [] and got["errors"] == [] and got["charts"] == 1
    md = plain(" ".join(got["md"]))
    assert "cifar_plain20" in md and "first-over-last conv gradient ratio" in md
    assert "He et al. (2015, §4.1)" in md and "At initialisation" in md


def test_degradation_runs_the_four_networks_as_one_group_and_explains_the_result(
    tmp_path, monkeypatch
):
    from resnet_core.presets import DEGRADATION_SET
    from resnet_core.training import RunStore

    monkeypatch.setenv("RESNET_EXPLORER_HOME", str(tmp_path))
    at = app("pages/degradation.py")
    next(b for b in at.button if b.label == "Run the experiment").click().run()
    assert not at.exception and not at.error
    store = RunStore(tmp_path)
    runs = store.list()
    assert sorted(r.name for r in runs) == sorted(DEGRADATION_SET)
    assert len({r.group_id for r in runs}) == 1 and runs[0].group_id
    for r in runs:
        store.request_stop(r.id)  # the test asks for the group, not the training
