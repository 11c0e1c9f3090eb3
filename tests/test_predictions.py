"""A run's validation predictions: the engine's file, read back for the Runs page."""

import numpy as np

from resnet_core.training import predictions


def test_predictions_read_back_wrong_ones_first(tmp_path):
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    images = np.arange(4 * 2 * 2 * 1, dtype=np.uint8).reshape(4, 2, 2, 1)
    predictions.save(tmp_path, probs, images, np.array([0, 0, 1, 1]), ["cat", "dog"])
    p = predictions.load(tmp_path)
    assert list(p.y_pred) == [0, 1, 0, 1] and p.class_names == ("cat", "dog")
    assert list(p.sample_index[:2]) == [1, 2]  # the two wrong ones come first
    assert np.array_equal(p.sample_images[0], images[1])
    assert p.sample_captions()[:3] == ["✗ cat → dog", "✗ dog → cat", "✓ cat → cat"]
    assert np.allclose(p.confidence, [0.9, 0.8, 0.7, 0.6])


def test_a_missing_or_damaged_file_is_no_predictions(tmp_path):
    assert predictions.load(tmp_path) is None
    (tmp_path / predictions.FILE).write_bytes(b"half a file")
    assert predictions.load(tmp_path) is None
    # Labels 0..1 for two classes: 2 is one beyond the list, -1 one before it.
    for y_true, y_pred in (([0, 2], [0, 1]), ([0, 1], [-1, 1])):
        np.savez(
            tmp_path / predictions.FILE,
            y_true=np.array(y_true),
            y_pred=np.array(y_pred),
            confidence=np.ones(2),
            sample_index=np.array([0]),
            sample_images=np.zeros((1, 2, 2, 1), np.uint8),
            class_names=np.array(["a", "b"]),
        )
        assert predictions.load(tmp_path) is None
