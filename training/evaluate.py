"""How good a model file is: accuracy, per-class accuracy and the confusion matrix.

Uses the app's own NumPy forward pass, so the figures are those of the model
as the app runs it, not of its torch twin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.model_file import Model
from digitpad.networks import NUM_CLASSES
from digitpad.preprocess import deskew


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]
    count: int

    def as_json(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 6),
            "per_class_accuracy": [round(a, 6) for a in self.per_class],
            "confusion": self.confusion,
            "count": self.count,
        }


def predict_labels(
    model: Model, images: np.ndarray, batch_size: int = 1000, upright: bool = False
) -> np.ndarray:
    """Predicted class index for N×28×28 images in [0, 1] (deskewed and normalised as the
    model says; ``upright``: the images are deskewed already)."""
    out = np.empty(len(images), np.int64)
    skew = model.deskew and not upright
    for i in range(0, len(images), batch_size):
        part = images[i : i + batch_size]
        out[i : i + batch_size] = model.probabilities(deskew(part) if skew else part).argmax(axis=1)
    return out


def score(predicted: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Accuracy figures from predicted and true labels."""
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    totals = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), totals, out=np.zeros(NUM_CLASSES), where=totals > 0)
    return Evaluation(
        float((predicted == labels).mean()) if len(labels) else 0.0,
        [float(a) for a in per_class],
        confusion.tolist(),
        len(labels),
    )


def evaluate(
    model: Model, images: np.ndarray, labels: np.ndarray, upright: bool = False
) -> Evaluation:
    return score(predict_labels(model, images, upright=upright), labels)
