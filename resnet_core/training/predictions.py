"""A run's validation predictions (``predictions.npz`` in its folder): written by the
engine at the end of a run, read by the Runs page. The file's format lives here only."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILE = "predictions.npz"
SAMPLES = 64  # images kept for the page, wrong ones first


@dataclass(frozen=True)
class Predictions:
    y_true: np.ndarray  # int, (N,)
    y_pred: np.ndarray  # int, (N,)
    confidence: np.ndarray  # float, (N,): the predicted class's probability
    sample_index: np.ndarray  # indices into y_true of the kept images
    sample_images: np.ndarray  # uint8, (SAMPLES, H, W, C)
    class_names: tuple[str, ...]

    def sample_captions(self) -> list[str]:
        """'✓ cat → cat' or '✗ cat → dog' for each kept image."""
        names = self.class_names
        return [
            f"{'✓' if self.y_true[i] == self.y_pred[i] else '✗'} "
            f"{names[self.y_true[i]]} → {names[self.y_pred[i]]}"
            for i in self.sample_index
        ]


def save(
    run_dir: Path, probs: np.ndarray, images: np.ndarray, y_true: np.ndarray, class_names
) -> None:
    y_pred = probs.argmax(axis=1)
    wrong_first = np.argsort(y_pred == y_true, kind="stable")[:SAMPLES]
    np.savez_compressed(
        Path(run_dir) / FILE,
        y_true=y_true,
        y_pred=y_pred,
        confidence=probs.max(axis=1),
        sample_index=wrong_first,
        sample_images=images[wrong_first],
        class_names=np.asarray(class_names, dtype=str),
    )


def load(run_dir: Path) -> Predictions | None:
    """The run's predictions; ``None`` when it has none or the file cannot be read."""
    path = Path(run_dir) / FILE
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            p = Predictions(
                f["y_true"],
                f["y_pred"],
                f["confidence"],
                f["sample_index"],
                f["sample_images"],
                tuple(str(n) for n in f["class_names"]),
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    n = len(p.class_names)
    if not (len(p.y_true) == len(p.y_pred) and all(0 <= v < n for v in (*p.y_true, *p.y_pred))):
        return None
    return p
