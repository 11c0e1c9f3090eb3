"""Code & files: the exported Keras script and JSON spec; load a spec from a file or text."""

import streamlit as st

from resnet_core import PRESETS, ArchitectureSpec, SpecError
from resnet_core.codegen import to_python
from resnet_core.limits import MAX_SPEC_BYTES, MAX_SPEC_MB
from ui import common, router, spec_form, state

router.ensure_router()

spec = state.current_spec()
st.title("Code & files")

tab_py, tab_json, tab_load = st.tabs(["Keras script", "JSON spec", "Load a spec"])
with tab_py:
    try:
        source = to_python(spec)
    except ValueError as exc:
        st.error(common.escape_md(f"This network cannot be built, so there is no script: {exc}"))
    else:
        st.caption("A standalone script: it needs only Keras 3 and builds exactly this model.")
        st.download_button(
            "Download script",
            source.encode(),
            file_name=f"{common.file_stem(spec.name)}.py",
            mime="text/x-python",
        )
        st.code(source, language="python", height=500, wrap_lines=True)
with tab_json:
    text = spec.to_json()
    st.download_button(
        "Download JSON",
        text.encode(),
        file_name=f"{common.file_stem(spec.name)}.json",
        mime="application/json",
    )
    st.code(text, language="json", height=500, wrap_lines=True)


def load(raw: bytes | str, origin: str) -> None:
    """Make the spec in ``raw`` the current network, or say every problem it has."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_SPEC_BYTES:
        st.error(
            common.escape_md(
                f"{origin} is {len(raw):,} bytes; a spec is at most "
                f"{MAX_SPEC_MB} MB. Is it the right file?"
            )
        )
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        st.error(common.escape_md(f"{origin} is not UTF-8 text; choose the .json file of a spec."))
        return
    # A file that is exactly a preset shares as ?preset=NAME; anything else as ?spec=.
    try:
        loaded = ArchitectureSpec.from_json(text)
        same = loaded.name in PRESETS and PRESETS[loaded.name].spec() == loaded
        state.set_spec(loaded, loaded.name if same else "", reset_editor=True)
    except (SpecError, ValueError, RecursionError) as exc:
        problems = exc.problems if isinstance(exc, SpecError) else [("(json)", str(exc))]
        n = len(problems)
        st.error(common.escape_md(f"{origin} is not a valid spec ({n} problem{'s' * (n > 1)}):"))
        for path, msg in problems:  # plain text: a path may hold any character
            words = spec_form.label(path)  # the Compose form's name for it, when it has one
            # in the form's words first, as Compose says it; the file's key to find it by
            st.text(
                f"• {words} {msg} (in the file: {path})" if words != path else f"• {path}: {msg}"
            )
        return
    st.success(
        common.escape_md(f"Loaded {loaded.name}. It is now the current network on every page.")
    )


with tab_load:
    uploaded = st.file_uploader(
        f"Upload a spec (.json, at most {MAX_SPEC_MB} MB)",
        type=["json"],
        max_upload_size=MAX_SPEC_MB,
    )
    if uploaded is not None and st.button("Load the uploaded file"):
        load(uploaded.getvalue(), f"The file {uploaded.name}")
    # No max_chars: the browser would cut a long paste silently, into invalid JSON.
    pasted = st.text_area(
        f"…or paste a spec (at most {MAX_SPEC_MB} MB)",
        height=200,
        key="pasted_spec",
        placeholder='{"name": "...", "input_shape": [32, 32, 3], ...}',
    )
    if st.button("Load the pasted text", disabled=not pasted.strip(), key="load_pasted"):
        load(pasted, "The pasted text")
