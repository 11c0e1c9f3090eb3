"""The tests' warning filters (pyproject.toml): ours fail, third parties' are named."""

import warnings

import pytest


@pytest.mark.parametrize(
    "module", ["resnet_core.spec", "resnet_core.training.engine", "ui.state", "tests.test_warnings"]
)
def test_a_warning_from_our_own_code_fails_the_test(module):
    with pytest.raises(DeprecationWarning, match="ours"):
        warnings.warn_explicit("ours", DeprecationWarning, "ours.py", 1, module=module)
    with pytest.raises(UserWarning):
        warnings.warn_explicit("ours too", UserWarning, "ours.py", 1, module=module)


def test_a_third_party_deprecation_is_filtered_by_its_module_not_by_its_kind():
    with warnings.catch_warnings(record=True) as seen:  # the filters as the tests run
        warnings.warn_explicit("theirs", DeprecationWarning, "k.py", 1, module="keras.src.ops")
        warnings.warn_explicit(
            "a library no filter names", DeprecationWarning, "n.py", 1, module="somelibrary.core"
        )
    # Keras's own is filtered; another library's is shown, not hidden by its kind.
    assert [str(w.message) for w in seen] == ["a library no filter names"]
