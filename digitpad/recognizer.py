"""Recognise a digit in an image with a loaded model: preprocessing plus a NumPy forward pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digitpad.model_file import Model
from digitpad.preprocess import prepare


@dataclass(frozen=True)
class Prediction:
    """The answer for one image.

    ``digit`` is None when nothing was drawn (``reason`` says why);
    ``model_input`` is the 28×28 picture the network saw, for display.
    """

    digit: int | None
    probabilities: np.ndarray | None
    model_input: np.ndarray | None
    reason: str | None = None
    # Why this answer (28×28, see digitpad.explain), when it was asked for, and the digit
    # it weighs the answer against.
    evidence: np.ndarray | None = None
    runner_up: int | None = None

    @property
    def confidence(self) -> float | None:
        return None if self.probabilities is None else float(self.probabilities.max())

    def as_json(self) -> dict:
        if self.digit is None:
            return {"digit": None, "confidence": None, "probabilities": None, "reason": self.reason}
        return {
            "digit": self.digit,
            "confidence": round(self.confidence or 0.0, 6),
            "probabilities": [round(float(p), 6) for p in self.probabilities],
        }


def predict(
    model: Model, image: Image.Image | np.ndarray, explain: bool = False, page: bool = False
) -> Prediction:
    """Preprocess ``image`` as in training and run ``model`` on it.

    With ``explain``, the prediction also carries the evidence for its winner
    against the runner-up (:func:`digitpad.explain.evidence`); ``page`` says the
    image was opened from a file (see :func:`digitpad.preprocess.prepare`).
    """
    prepared = prepare(image, page=page)
    if prepared.is_blank:
        return Prediction(None, None, None, prepared.blank_reason)
    if model.deskew:
        prepared = prepared.deskewed()
    probabilities = model.probabilities(prepared.image[None])[0]
    labels = model.meta.get("labels", list(range(10)))
    why = runner_up_label = None
    if explain:
        from digitpad.explain import evidence

        # The evidence is the digit's as drawn, not that of its shifted copies.
        runner_up, winner = np.argsort(probabilities)[-2:]
        why = evidence(
            model, prepared.normalised(model.mean, model.std), int(winner), int(runner_up)
        )
        runner_up_label = int(labels[int(runner_up)])
    return Prediction(
        int(labels[int(probabilities.argmax())]),
        probabilities,
        prepared.image,
        evidence=why,
        runner_up=runner_up_label,
    )
