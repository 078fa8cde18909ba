"""``digitpad predict``: recognise digits in image files, one JSON line per image."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from digitpad.assets import bundled_model_path
from digitpad.images import ImageLoadError, load_image
from digitpad.model_file import ModelFileError, load_model
from digitpad.networks import ARCHITECTURES, DEFAULT_ARCH
from digitpad.recognizer import predict


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad predict",
        description="Recognise the digit in each image; print one JSON object per image.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", help="a model file (.npz) to use instead of a bundled one")
    source.add_argument(
        "--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH, help="bundled model to use"
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    return parser


def predict_main(argv: Sequence[str]) -> int:
    """Exit code 0 when every image was read, 1 when some could not be, 2 on a bad model."""
    args = build_parser().parse_args(argv)
    try:
        model = load_model(args.model or bundled_model_path(args.arch))
    except ModelFileError as exc:
        print(json.dumps({"error": str(exc)}))  # noqa: T201
        return 2
    status = 0
    for path in args.images:
        try:
            result = {"path": path, **predict(model, load_image(path)).as_json()}
        except ImageLoadError as exc:
            result, status = {"path": path, "error": str(exc)}, 1
        except (ValueError, OSError) as exc:  # e.g. an image with no usable pixels
            result, status = {"path": path, "error": f"could not recognise: {exc}"}, 1
        print(json.dumps(result), flush=True)  # noqa: T201
    return status


if __name__ == "__main__":
    sys.exit(predict_main(sys.argv[1:]))
