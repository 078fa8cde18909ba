"""``digitpad predict``: recognise digits in image files, one JSON line per image."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

# NumPy and Pillow are imported where they are used, inside predict_main's handling of
# Ctrl-C: loading them takes most of a short run, and an interrupt there is no traceback.


def build_parser() -> argparse.ArgumentParser:
    from digitpad.networks import ARCHITECTURES, DEFAULT_ARCH

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
    """Exit code 0 when every image was read, 1 when some could not be, 2 on a bad model,
    130 when interrupted (Ctrl-C).

    141 when the reader of stdout went away (``| head``): the lines it did not
    take are not printed, with no traceback, and the code is the one a shell
    gives ``cat`` killed by SIGPIPE there, so ``set -o pipefail`` sees the same.
    """
    try:
        return _predict_all(build_parser().parse_args(argv))
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:  # Ctrl-C: the lines printed so far stand, no traceback
        print("digitpad predict: interrupted", file=sys.stderr)  # noqa: T201
        return 130


def _predict_all(args: argparse.Namespace) -> int:
    from digitpad.assets import bundled_model_path
    from digitpad.images import ImageLoadError, load_image
    from digitpad.model_file import ModelFileError, load_model
    from digitpad.recognizer import predict

    try:
        model = load_model(args.model or bundled_model_path(args.arch))
    except ModelFileError as exc:
        _print_json({"error": str(exc)})
        return 2
    status = 0
    for path in args.images:
        try:
            result = {"path": path, **predict(model, load_image(path), page=True).as_json()}
        except ImageLoadError as exc:
            result, status = {"path": path, "error": str(exc)}, 1
        except (ValueError, OSError) as exc:  # e.g. an image with no usable pixels
            result, status = {"path": path, "error": f"could not recognise: {exc}"}, 1
        _print_json(result)
    return status


def _print_json(record: dict) -> None:
    """One line of strict JSON, flushed so that a reader sees each result at once."""
    shown = {
        key: _text(value) if isinstance(value, str) else value for key, value in record.items()
    }
    print(json.dumps(shown), flush=True)  # noqa: T201


def _text(text: str) -> str:
    """``text`` with a file name's undecodable bytes as U+FFFD.

    Python keeps such bytes as lone surrogates, which ``json.dumps`` writes as
    ``\\udcXX`` escapes that strict JSON parsers refuse.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that does not stand for a byte
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def _reader_gone() -> int:
    """Stop quietly once stdout's reader has closed it; 128 + SIGPIPE, as a shell reports.

    stdout is pointed at the null device, or Python's own flush at exit would
    fail again and print "Exception ignored ... BrokenPipeError".
    """
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    return 141  # 128 + SIGPIPE (13), which Windows does not define


if __name__ == "__main__":
    sys.exit(predict_main(sys.argv[1:]))
