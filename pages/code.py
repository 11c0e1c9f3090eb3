"""Code & files: the exported Keras script and JSON spec; load a spec from a file or text."""

import streamlit as st

from resnet_core import PRESETS, ArchitectureSpec, SpecError
from resnet_core.codegen import to_python
from ui import router, state

router.ensure_router()

MAX_SPEC_BYTES = 1_000_000
spec = state.current_spec()
st.title("Code & files")

tab_py, tab_json, tab_load = st.tabs(["Keras script", "JSON spec", "Load a spec"])
with tab_py:
    try:
        source = to_python(spec)
    except ValueError as exc:
        st.error(f"This network cannot be built, so there is no script: {exc}")
    else:
        st.caption("A standalone script: it needs only Keras 3 and builds exactly this model.")
        st.download_button("Download script", source.encode(), file_name=f"{spec.name}.py",
                           mime="text/x-python")
        st.code(source, language="python", height=500)
with tab_json:
    text = spec.to_json()
    st.download_button("Download JSON", text.encode(), file_name=f"{spec.name}.json",
                       mime="application/json")
    st.code(text, language="json", height=500)


def load(raw: bytes | str, origin: str) -> None:
    if isinstance(raw, bytes):
        if len(raw) > MAX_SPEC_BYTES:
            st.error(f"{origin} is {len(raw):,} bytes; a spec is at most "
                     f"{MAX_SPEC_BYTES:,}. Is it the right file?")
            return
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            st.error(f"{origin} is not a text file; choose the .json file of a spec.")
            return
    try:
        loaded = ArchitectureSpec.from_json(raw)
    except SpecError as exc:
        st.error(f"{origin} is not a valid spec:")
        for path, msg in exc.problems:
            st.markdown(f"- `{path}`: {msg}")
        return
    # A file that is exactly a preset shares as ?preset=NAME; anything else as ?spec=.
    same = loaded.name in PRESETS and PRESETS[loaded.name].spec() == loaded
    state.set_spec(loaded, loaded.name if same else None, reset_editor=True)
    st.success(f"Loaded {loaded.name}. It is now the current network on every page.")


with tab_load:
    uploaded = st.file_uploader("Upload a spec (.json)", type=["json"])
    if uploaded is not None and st.button("Load the uploaded file"):
        load(uploaded.getvalue(), uploaded.name)
    pasted = st.text_area("…or paste a spec", height=200, key="pasted_spec",
                          placeholder='{"name": "...", "input_shape": [32, 32, 3], ...}')
    if st.button("Load the pasted text", disabled=not pasted.strip(), key="load_pasted"):
        load(pasted, "The pasted text")
