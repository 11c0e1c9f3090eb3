"""Spec → a standalone Python script that builds the same Keras model with Keras alone.

The script is written from the trace, layer by layer, through the same table
(:mod:`op_table`) the builder uses, so it cannot drift from the model we build.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .op_table import CUSTOM_LAYERS, OPS, layer_call
from .ops import model_name
from .spec import ArchitectureSpec
from .trace import trace_spec

_LAYERS_FILE = Path(__file__).with_name("layers.py")


def _custom_class_sources(names: set[str]) -> list[str]:
    """The source of our custom layer classes, without the registration decorator."""
    text = _LAYERS_FILE.read_text(encoding="utf-8")
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name in names:
            node.decorator_list = []
            out.append(ast.get_source_segment(text, node))
    return out


def to_python(spec: ArchitectureSpec) -> str:
    """Return the script's source; raises ``ValueError`` when the spec cannot be built."""
    trace = trace_spec(spec)
    if not trace.ok:
        raise ValueError(f"cannot export: {trace.error}")
    layers = trace.layers[1:]  # the input is written by hand below
    consumers: dict[str, list[int]] = {}
    for i, layer in enumerate(layers):
        for src in layer.inputs:
            consumers.setdefault(src, []).append(i)

    def var(name: str, producer_index: int) -> str:
        uses = consumers.get(name, [])
        if name == "input":
            return "inputs"
        if uses and all(u == producer_index + 1 for u in uses):
            return "x"
        return name

    index_of = {l.name: i for i, l in enumerate(layers)}
    used_custom: set[str] = set()
    body: list[str] = []
    group = None
    for i, layer in enumerate(layers):
        heading = layer.stage + (f" {layer.block_name}" if layer.block_name else "")
        if heading != group:
            group = heading
            body.append(f"\n    # {comment_text(heading)}")
        cls, kwargs = layer_call(layer.kind, layer.name, layer.config)
        prefix = "" if cls in CUSTOM_LAYERS else "layers."
        if cls in CUSTOM_LAYERS:
            used_custom.add(cls)
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        ins = [var(s, index_of.get(s, -1)) for s in layer.inputs]
        arg = f"[{', '.join(ins)}]" if OPS[layer.kind].list_input else ins[0]
        out = var(layer.name, i) if i < len(layers) - 1 else "outputs"
        body.append(f"    {out} = {prefix}{cls}({args})({arg})")

    doc = spec.description or spec.name
    parts = [
        docstring_literal(
            f"{spec.name}: {doc}\n\nWritten by ResNet Explorer from its "
            "architecture spec. Needs only Keras 3\n(any backend). Run it to "
            "print the summary.\n"
        ),
        "import keras\nfrom keras import layers" + (", ops" if used_custom else ""),
    ]
    if used_custom:
        parts.append(
            "# Layers Keras has no class for (load saved models with custom_objects={...})."
        )
        parts.extend(_custom_class_sources(used_custom))
    parts.append(
        f"def build_model(input_shape={tuple(spec.input_shape)!r}):\n"
        f"    {docstring_literal(f'Build {spec.name} as a Keras functional model.')}\n"
        f'    inputs = keras.Input(shape=input_shape, name="input")'
        + "\n".join(body)
        + f"\n    return keras.Model(inputs, outputs, name={model_name(spec.name)!r})"
    )
    parts.append(
        'if __name__ == "__main__":\n    model = build_model()\n    model.summary()\n'
        '    print("total parameters:", f"{model.count_params():,}")'
    )
    # No dedent: it would rewrite blank lines inside the docstring (the user's text).
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"


def docstring_literal(text: str) -> str:
    """``text`` as a triple-quoted Python literal that reads back as ``text``, whatever
    it holds (quotes, backslashes, ``\\N{...}``, NUL, line breaks other than ``\\n``):
    user text is data in the script, never code."""
    out = []
    for ch in text:
        if ch == "\\" or ch == '"':
            out.append("\\" + ch)
        elif ch == "\n" or ch == "\t" or (ch.isprintable() and ch not in _UNSAFE_IN_SOURCE):
            out.append(ch)
        else:  # control characters, separators, lone surrogates: escaped by code point
            code = ord(ch)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    literal = '"""' + "".join(out) + '"""'
    return literal if ast.literal_eval(literal) == text else repr(text)  # belt and braces


def comment_text(text: str) -> str:
    """``text`` for a ``#`` comment: one line, printable (it cannot end the comment)."""
    return "".join(ch if ch.isprintable() and ch not in _UNSAFE_IN_SOURCE else "?" for ch in text)


# Printable to Python, yet a line break or an invalid character to a tokenizer or editor.
_UNSAFE_IN_SOURCE = {"\x85", "\u2028", "\u2029", "\ufeff"}
