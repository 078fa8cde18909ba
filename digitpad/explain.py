"""Why this answer: which pixels pushed the network towards its winner, and which away.

For one input the evidence is input × gradient of (winner's logit − runner-up's
logit), with the input measured from a blank canvas, so only ink can carry
evidence. Positive pixels made the winner more likely than the runner-up,
negative ones the runner-up. The gradient is computed in NumPy by running the
network's layers backwards (the app never loads torch); it costs about one
more forward pass, so the window asks for it only when the view is on.
"""

from __future__ import annotations

import numpy as np

from digitpad.model_file import Model
from digitpad.networks import INPUT_SIDE, cnn_layers


def evidence(model: Model, x: np.ndarray, winner: int, runner_up: int) -> np.ndarray | None:
    """28×28 evidence for ``winner`` against ``runner_up`` of one normalised input ``x``;
    None for a network with no gradient here (it then predicts without the tint)."""
    gradient = GRADIENTS.get(model.arch)
    if gradient is None or "fc2.weight" not in model.params:
        return None
    x = np.asarray(x, np.float32).reshape(INPUT_SIDE, INPUT_SIDE)
    direction = model.params["fc2.weight"][winner] - model.params["fc2.weight"][runner_up]
    grad = gradient(model.params, model.meta.get("sizes", {}), x, direction)
    blank = (0.0 - model.mean) / model.std  # a pixel with no ink, normalised
    return (x - blank) * grad


def _fcnn_gradient(p, _sizes: dict, x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    h = p["fc1.weight"] @ x.ravel() + p["fc1.bias"]
    return (p["fc1.weight"].T @ (direction * (h > 0))).reshape(x.shape)


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """3×3 convolution, padding 1, of one channels-last image (H, W, C) → (H, W, C')."""
    h, w = x.shape[:2]
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    out = np.broadcast_to(bias, (h, w, len(bias))).copy()
    for dy in range(3):
        for dx in range(3):
            out += padded[dy : dy + h, dx : dx + w] @ weight[:, :, dy, dx].T
    return out


def _conv_back(grad: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Gradient at a convolution's input from the gradient at its output (H, W, C')."""
    h, w = grad.shape[:2]
    padded = np.zeros((h + 2, w + 2, weight.shape[1]), grad.dtype)
    for dy in range(3):
        for dx in range(3):
            padded[dy : dy + h, dx : dx + w] += grad @ weight[:, :, dy, dx]
    return padded[1:-1, 1:-1]


def _cnn_gradient(p, sizes: dict, x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    layers = len(cnn_layers(sizes))
    per_stage = layers // 2
    h = x[..., None]
    trail = []  # what each step needs to run backwards
    for k in range(1, layers + 1):
        out = _conv(h, p[f"conv{k}.weight"], p[f"conv{k}.bias"])
        trail.append(("conv", k, out > 0))
        h = np.maximum(out, 0)
        if k % per_stage == 0:
            side, width = h.shape[0] // 2, h.shape[2]
            blocks = h.reshape(side, 2, side, 2, width)
            pooled = blocks.max(axis=(1, 3))
            trail.append(("pool", blocks == pooled[:, None, :, None, :], None))
            h = pooled
    flat = h.transpose(2, 0, 1).ravel()  # torch's order: channels first
    hidden = p["fc1.weight"] @ flat + p["fc1.bias"]
    grad = p["fc1.weight"].T @ (direction * (hidden > 0))
    grad = grad.reshape(h.shape[2], h.shape[0], h.shape[1]).transpose(1, 2, 0)
    for kind, a, b in reversed(trail):
        if kind == "pool":
            # The gradient goes to the pixel that won each 2×2 block (ties share it).
            share = a / a.sum(axis=(1, 3), keepdims=True)
            side, width = grad.shape[0], grad.shape[2]
            grad = (share * grad[:, None, :, None, :]).reshape(side * 2, side * 2, width)
        else:
            grad = _conv_back(grad * b, p[f"conv{a}.weight"])
    return grad[..., 0]


# The backward pass of each architecture (``digitpad.networks``) that has one.
GRADIENTS = {"fcnn": _fcnn_gradient, "cnn": _cnn_gradient}
