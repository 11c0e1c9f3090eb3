"""Chart details a person sees: tick labels on log axes, every class of a confusion matrix."""

import numpy as np

from resnet_core import analyze, get_spec
from ui import charts, training_views


def test_log_axes_always_get_labelled_ticks_never_plotlys_own():
    # Many map sizes: an input of 1000×3 shrinking through strides, beyond 8 distinct sizes.
    a = analyze(get_spec("googlenet").replace(input_shape=(1000, 1000, 3)))
    fig = charts.output_size(a)
    for axis in (fig.layout.yaxis, fig.layout.yaxis2):
        assert axis.tickmode == "array" and 2 <= len(axis.tickvals) <= 8
        assert list(axis.tickvals) == sorted(axis.tickvals)


def test_the_confusion_matrix_labels_every_class_as_text():
    names = [str(i) for i in range(10)] + ["<b>x</b>"]
    y = np.arange(11)
    fig = training_views.confusion(y, y, names)
    assert list(fig.layout.xaxis.tickvals) == names
    assert list(fig.layout.yaxis.ticktext)[-1] == "&lt;b&gt;x&lt;/b&gt;"


def test_log_ticks_stay_a_factor_two_apart_and_at_most_eight():
    values = [1.5**i for i in range(24)]  # every other one survives the thinning: 12
    ticks = charts._ticks(values, [str(v) for v in values])["tickvals"]
    assert len(ticks) == 8 and ticks[0] == 1 and ticks[-1] == values[-2]
    assert all(b >= 2 * a for a, b in zip(ticks, ticks[1:]))


def test_the_compare_legends_show_a_name_as_text():
    a = analyze(get_spec("cifar_resnet20").replace(name="<b>x</b>"))
    fig = charts.compare_stages(a, a, "params")  # Plotly reads tags in legend text
    assert [t.name for t in fig.data] == ["A: &lt;b&gt;x&lt;/b&gt;", "B: &lt;b&gt;x&lt;/b&gt;"]


# What Plotly (the bundle Streamlit ships) decodes in label text: these named entities
# and numeric ones, in one pass; any other "&name;" is shown as written.
PLOTLY_ENTITIES = {
    "mu": "μ",
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "nbsp": "\xa0",
    "times": "×",
    "plusmn": "±",
    "deg": "°",
}


def plotly_shows(label: str) -> str:
    import re

    def entity(m):
        t = m.group(1)
        if t.startswith("#"):
            return chr(int(t[2:], 16) if t[1] == "x" else int(t[1:]))
        return PLOTLY_ENTITIES.get(t, m.group(0))

    assert "<" not in label and ">" not in label  # no tag left for Plotly to read
    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", entity, label)


NAMES = ['say "hi"', "it's", "<b>x</b>", "R&D", "&quot; &amp;lt;", "Réseau 20 🔥"]


def test_chart_labels_show_every_name_as_written():
    for name in NAMES:
        a = analyze(get_spec("cifar_resnet20").replace(name=name))
        fig = charts.compare_stages(a, a, "params")
        assert [plotly_shows(t.name) for t in fig.data] == [f"A: {name}", f"B: {name}"]
    y = np.arange(len(NAMES))
    fig = training_views.confusion(y, y, NAMES)
    assert [plotly_shows(t) for t in fig.layout.xaxis.ticktext] == NAMES


def test_log_axis_ticks_say_the_number_they_stand_for():
    from ui.charts import log_ticks

    def value(text):  # "5×10⁻⁶", "10⁻⁷", "0.5", "20,000" back to a number
        digits = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
        if "10" in text and text.translate(digits) != text:
            mant, _, power = text.rpartition("10")
            return float(mant.rstrip("×") or 1) * 10.0 ** int(power.translate(digits))
        return float(text.replace(",", ""))

    for lo, hi in ((-0.5, 1.2), (-7.3, -1.0), (-30.0, 2.0), (2.0, 4.5)):
        ticks = log_ticks(lo, hi)
        assert ticks["tickvals"] and len(ticks["tickvals"]) <= 10
        for v, text in zip(ticks["tickvals"], ticks["ticktext"]):
            assert abs(value(text) - v) <= 1e-9 * v, (v, text)
    assert log_ticks(-0.5, 1.2)["ticktext"] == ["0.5", "1", "2", "5", "10"]  # not "5, 1, 2, 5"
