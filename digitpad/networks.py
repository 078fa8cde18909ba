"""NumPy forward passes of the networks DigitPad ships, and the shapes they expect.

Parameter names match the ``state_dict`` keys of the torch modules in
``training/models.py``, so exporting a trained model is a plain copy.

:data:`ARCHITECTURES` is the one list of networks: the app's menus, dialogs and
settings, the training command line and the search space all read it. Adding an
architecture means one entry here and one in ``training.models.REGISTRY``.
NumPy is imported by the forward passes, not here, so the window can list the
networks before NumPy is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

Params = Mapping[str, "np.ndarray"]

INPUT_SIDE = 28
NUM_CLASSES = 10


@dataclass(frozen=True)
class Architecture:
    """How to name, check and run one kind of network; each has a bundled model of its name."""

    name: str
    label: str  # what people read: menus, dialogs
    # A few words beside the label (size and speed); "{hidden}" and the like stand for the
    # sizes in default_sizes, or a search's (see title_for).
    summary: str
    description: str
    default_sizes: dict
    shapes: Callable[[dict], dict[str, tuple[int, ...]]]
    forward: Callable[[Params, np.ndarray], np.ndarray]
    # (rows, columns) the prepared digit is moved by; its probabilities are the mean of the
    # network's over these copies (see Model.probabilities).
    shifts: tuple[tuple[int, int], ...] = ((0, 0),)

    @property
    def title(self) -> str:
        return self.title_for({})

    def title_for(self, params: dict) -> str:
        """The title, with the sizes in ``params`` (a search's, say) in place of the default
        ones its summary names; other parameters are left out."""
        sizes = {
            **self.default_sizes,
            **{k: v for k, v in params.items() if k in self.default_sizes},
        }
        return f"{self.label} ({self.summary.format(**sizes)})"


def _relu(x: np.ndarray) -> np.ndarray:
    return x.clip(0, None, out=x)


def _fcnn_shapes(sizes: dict) -> dict[str, tuple[int, ...]]:
    hidden = int(sizes["hidden"])
    return {
        "fc1.weight": (hidden, INPUT_SIDE * INPUT_SIDE),
        "fc1.bias": (hidden,),
        "fc2.weight": (NUM_CLASSES, hidden),
        "fc2.bias": (NUM_CLASSES,),
    }


# A fully connected network has no tolerance of its own for where the strokes fall: reading
# the digit as it is and moved by one pixel each way, and averaging, is worth +0.06 points on
# MNIST images it never saw (five models, each better; diagonal or two-pixel moves as well:
# less; benchmarks/reading_moves.py) and +0.18 on unseen writers, for about 0.04 ms a
# drawing, most of it making the copies. The CNN would gain
# 0.06 points on MNIST's test set at three times its latency, and reads the digit as it is.
ONE_PIXEL_SHIFTS = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))


def shifted(images: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """N×H×W ``images`` moved down by ``rows`` and right by ``columns`` (negative: up, left);
    what moves out is dropped and what comes in is blank (0)."""
    import numpy as np

    out = np.zeros_like(images)
    h, w = images.shape[-2:]
    if abs(rows) >= h or abs(columns) >= w:
        return out  # moved out entirely
    out[..., max(rows, 0) : h + min(rows, 0), max(columns, 0) : w + min(columns, 0)] = images[
        ..., max(-rows, 0) : h + min(-rows, 0), max(-columns, 0) : w + min(-columns, 0)
    ]
    return out


def _fcnn_forward(p: Params, x: np.ndarray) -> np.ndarray:
    """Logits for a batch ``x`` of shape (N, 28, 28)."""
    h = x.reshape(len(x), -1) @ p["fc1.weight"].T
    h += p["fc1.bias"]
    return _relu(h) @ p["fc2.weight"].T + p["fc2.bias"]


def cnn_layers(sizes: dict) -> list[tuple[int, int]]:
    """(in, out) channels of each 3×3 convolution, in order: ``convs`` per stage (default 1),
    a 2×2 max pool after each stage. Named conv1, conv2, … in that order."""
    convs = int(sizes.get("convs", 1))
    if convs < 1:
        raise ValueError("convs must be at least 1")
    layers, previous = [], 1
    for width in (int(c) for c in sizes["channels"]):
        for _ in range(convs):
            layers.append((previous, width))
            previous = width
    return layers


def _cnn_shapes(sizes: dict) -> dict[str, tuple[int, ...]]:
    layers = cnn_layers(sizes)
    if len(sizes["channels"]) != 2:
        raise ValueError("a CNN has two stages: give two channel counts")
    hidden = int(sizes["hidden"])
    side = INPUT_SIDE // 4
    shapes: dict[str, tuple[int, ...]] = {}
    for k, (c_in, c_out) in enumerate(layers, 1):
        shapes[f"conv{k}.weight"] = (c_out, c_in, 3, 3)
        shapes[f"conv{k}.bias"] = (c_out,)
    shapes.update(
        {
            "fc1.weight": (hidden, layers[-1][1] * side * side),
            "fc1.bias": (hidden,),
            "fc2.weight": (NUM_CLASSES, hidden),
            "fc2.bias": (NUM_CLASSES,),
        }
    )
    return shapes


def _conv3x3_relu(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """3×3 convolution (padding 1) and ReLU of channels-last ``x`` (N, H, W, C) → (N, H, W, C').

    The nine shifted copies of the input, side by side, meet the kernel flattened
    in (row, column, channel) order: one matrix product, and no strided 6-D copy
    (40% faster than im2col through ``sliding_window_view`` for the bundled CNN).
    The copies are written into one array rather than concatenated, the padding is
    a slice assignment rather than ``np.pad``, and the kernel is laid out in the
    product's order: a quarter off the bundled CNN's convolutions.
    """
    import numpy as np

    n, h, w, c = x.shape
    padded = np.zeros((n, h + 2, w + 2, c), x.dtype)
    padded[:, 1:-1, 1:-1] = x
    cols = np.empty((n, h, w, 9 * c), x.dtype)
    for k in range(9):
        dy, dx = divmod(k, 3)
        cols[..., k * c : (k + 1) * c] = padded[:, dy : dy + h, dx : dx + w]
    kernel = np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(-1, len(weight)))
    out = cols @ kernel
    out += bias
    return _relu(out)


def _pool2(x: np.ndarray) -> np.ndarray:
    """2×2 max pool of channels-last (N, H, W, C)."""
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _cnn_forward(p: Params, x: np.ndarray) -> np.ndarray:
    h = x.reshape(len(x), INPUT_SIDE, INPUT_SIDE, 1)
    convs = sum(1 for name in p if name.startswith("conv") and name.endswith(".weight"))
    per_stage = convs // 2
    for k in range(1, convs + 1):
        h = _conv3x3_relu(h, p[f"conv{k}.weight"], p[f"conv{k}.bias"])
        if k % per_stage == 0:
            h = _pool2(h)
    h = h.transpose(0, 3, 1, 2).reshape(len(h), -1)  # torch flattens channels first
    h = _relu(h @ p["fc1.weight"].T + p["fc1.bias"])
    return h @ p["fc2.weight"].T + p["fc2.bias"]


ARCHITECTURES: dict[str, Architecture] = {
    "fcnn": Architecture(
        "fcnn",
        "FCNN",
        "784-{hidden}-10, fast",
        "Fully connected 784→hidden→10",
        {"hidden": 128},
        _fcnn_shapes,
        _fcnn_forward,
        ONE_PIXEL_SHIFTS,
    ),
    "cnn": Architecture(
        "cnn",
        "CNN",
        "slower, more accurate",
        "Two stages of 3×3 convs + pool, then hidden→10",
        {"channels": [32, 64], "hidden": 128, "convs": 1},
        _cnn_shapes,
        _cnn_forward,
    ),
}


# The network a new user starts with and Reset returns to.
DEFAULT_ARCH = "fcnn"


def label(name: str) -> str:
    """The person-facing name of architecture ``name`` (the name itself if unknown)."""
    arch = ARCHITECTURES.get(name)
    return arch.label if arch is not None else name


def softmax(logits: np.ndarray) -> np.ndarray:
    import numpy as np

    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
