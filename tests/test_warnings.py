"""The tests' warning filters (pyproject.toml): ours fail, third parties' are named."""

import warnings

import pytest
from streamlit.testing.v1 import AppTest


@pytest.mark.parametrize(
    "module", ["resnet_core.spec", "resnet_core.training.engine", "ui.state", "tests.test_warnings"]
)
def test_a_warning_from_our_own_code_fails_the_test(module):
    with pytest.raises(DeprecationWarning, match="ours"):
        warnings.warn_explicit("ours", DeprecationWarning, "ours.py", 1, module=module)
    with pytest.raises(UserWarning):
        warnings.warn_explicit("ours too", UserWarning, "ours.py", 1, module=module)


PAGE = """
import warnings

import streamlit as st

st.write(__name__)
warnings.warn("from the page", {kind})
st.write("after the warning")
"""


@pytest.mark.parametrize("kind", ["UserWarning", "DeprecationWarning"])
def test_a_warning_raised_in_a_page_script_fails_the_page(tmp_path, kind):
    """Streamlit runs a page as the module ``__main__`` (not ``pages.x``): a filter on
    ``pages.*`` alone never matched one. The page here is a real script run by AppTest,
    the way the app's pages run."""
    page = tmp_path / "warns.py"
    page.write_text(PAGE.format(kind=kind))
    at = AppTest.from_file(str(page), default_timeout=30).run()
    assert [m.value for m in at.markdown] == ["__main__"]  # the name a page's warning has
    assert at.exception, "the page's warning did not stop the page"
    assert "after the warning" not in [m.value for m in at.markdown]


def test_a_third_party_deprecation_is_filtered_by_its_module_not_by_its_kind():
    with warnings.catch_warnings(record=True) as seen:  # the filters as the tests run
        warnings.warn_explicit("theirs", DeprecationWarning, "k.py", 1, module="keras.src.ops")
        warnings.warn_explicit(
            "a library no filter names", DeprecationWarning, "n.py", 1, module="somelibrary.core"
        )
        # The __main__ filter is an exact name: a library's own module is not caught.
        warnings.warn_explicit("a library", UserWarning, "s.py", 1, module="streamlit.__main__")
        warnings.warn_explicit("a library", UserWarning, "m.py", 1, module="__main__x")
        warnings.warn_explicit("a library", UserWarning, "a.py", 1, module="appdirs")
    # Keras's own is filtered; another library's is shown, not hidden by its kind.
    assert [str(w.message) for w in seen] == ["a library no filter names"] + ["a library"] * 3
