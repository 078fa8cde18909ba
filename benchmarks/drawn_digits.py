"""Accuracy on real pen-drawn digits of writers the model never saw, by organisation and by style.

Leave one organisation out (the honest figure): every UniPen organisation is
scored by a model trained without it. ``--loo DIR`` reads those models as
``DIR/<org>.npz``; with ``--train "ARGS"`` the missing ones are trained first
with ``python -m training train ARGS --held-out-orgs <org> --out DIR/<org>.npz``.

    python benchmarks/drawn_digits.py --loo runs/loo-fcnn --train "--data ../shared/data/mnist-full
        --unipen ../shared/data/unipen-digits/dev.json.gz --epochs 20"

One model (``--model FILE`` or ``--arch fcnn|cnn``) on ``--orgs``: organisations
the model was trained on are marked "seen", and their figures are not a
measure of unseen writers.

Drawings (training/unipen.py has the exact ranges): centred (size 0.6, pen
18 px), anywhere (size 0.2-0.9, any position, pen 8-28 px), in a corner (size
0.12-0.25, pen 6-16 px); two renders per record and drawing.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from digitpad.assets import bundled_model_path
from digitpad.model_file import Model, load_model
from training import drawn, unipen

UNIPEN = "../shared/data/unipen-digits/dev.json.gz"


def seen_orgs(model: Model, orgs: list[str]) -> set[str]:
    """The organisations ``model`` was trained on, as its metadata tells ("… orgs a,b,c: …")."""
    found = re.search(r"UniPen \S+ orgs ([\w,]+)", str(model.meta.get("trained_on", "")))
    return set(orgs) & set(found.group(1).split(",")) if found else set()


def train_missing(folder: Path, orgs: list[str], train_args: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for org in orgs:
        out = folder / f"{org}.npz"
        if out.is_file():
            continue
        command = [
            sys.executable,
            "-m",
            "training",
            "train",
            *shlex.split(train_args),
            "--held-out-orgs",
            org,
            "--out",
            str(out),
        ]
        print(f"training without {org}: {shlex.join(command)}", flush=True)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def print_orgs(by_org: dict, seen: set[str], mnist: dict[str, float], renders: int) -> None:
    print(f"{'org':<8}{'n':>6}{'centred':>10}{'anywhere':>10}{'diff':>8}{'MNIST':>9}")
    for org, row in by_org.items():
        centred, anywhere = row["centred"], row["anywhere"]
        note = "  seen" if org in seen else ""
        figure = f"{mnist[org]:>9.2%}" if org in mnist else f"{'':>9}"
        print(
            f"{org:<8}{centred.count // renders:>6}"
            f"{centred.accuracy:>10.2%}{anywhere.accuracy:>10.2%}"
            f"{(anywhere.accuracy - centred.accuracy) * 100:>+7.2f}p{figure}{note}"
        )
    for placement in ("centred", "anywhere"):
        mean, worst, org = drawn.summary(by_org, placement)
        print(f"{placement}: mean over organisations {mean:.2%}, worst {worst:.2%} ({org})")


def print_without_fragments(records: list[dict], clean: dict) -> None:
    """The organisations whose lone stroke fragments were set aside, and the summaries after
    (their other records are drawn again, with new random placements)."""
    dropped: dict[str, int] = {}
    for record in records:
        if unipen.fragment(record):
            dropped[record["org"]] = dropped.get(record["org"], 0) + 1
    if not dropped:
        return
    listed = ", ".join(f"{org} {n}" for org, n in sorted(dropped.items()))
    print(f"\nlone stroke fragments labelled as digits set aside ({listed}):")
    for org in sorted(dropped):
        row = clean[org]
        print(f"{org:<8}{row['centred'].accuracy:>10.2%}{row['anywhere'].accuracy:>10.2%}")
    for placement in ("centred", "anywhere"):
        mean, worst, org = drawn.summary(clean, placement)
        print(f"{placement}: mean over organisations {mean:.2%}, worst {worst:.2%} ({org})")


def print_styles(by_style: dict) -> None:
    print(f"\n{'style':<30}{'n':>6}{'accuracy':>10}")
    for name, tally in by_style.items():
        print(f"{name:<30}{tally.count:>6}{tally.accuracy:>10.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--loo", metavar="DIR", help="folder of leave-one-out models <org>.npz")
    group.add_argument("--model")
    parser.add_argument("--arch", default="fcnn")
    parser.add_argument("--train", metavar="ARGS", help="train the missing leave-one-out models")
    parser.add_argument("--unipen", default=UNIPEN)
    parser.add_argument("--orgs", help="comma-separated (default: every organisation)")
    parser.add_argument("--renders", type=int, default=2, help="renders per record and drawing")
    args = parser.parse_args()
    records = unipen.load_records(args.unipen)
    orgs = args.orgs.split(",") if args.orgs else sorted({r["org"] for r in records})
    records = [r for r in records if r["org"] in orgs]

    if args.loo:
        folder = Path(args.loo)
        if args.train:
            train_missing(folder, orgs, args.train)
        models = {org: load_model(folder / f"{org}.npz") for org in orgs}
        seen = {org for org, m in models.items() if org in seen_orgs(m, [org])}
        mnist = {org: float(m.meta.get("test_accuracy", float("nan"))) for org, m in models.items()}
        model_for = models.__getitem__
        by_org, by_style = drawn.leave_one_out(records, model_for, args.renders)
        name = f"leave-one-out models in {folder} ({models[orgs[0]].arch})"
    else:
        path = args.model or bundled_model_path(args.arch)
        model = load_model(path)
        seen = seen_orgs(model, orgs)
        mnist = {}

        def model_for(_org: str) -> Model:
            return model

        by_org, by_style = drawn.leave_one_out(records, model_for, args.renders)
        name = f"{path} ({model.arch})"
    print(f"{name}; {args.renders} render(s) per record and drawing")
    print_orgs(by_org, seen, mnist, args.renders)
    # Only the organisations with fragments are drawn again (new random placements too).
    fragmented = {r["org"] for r in records if unipen.fragment(r)}
    kept = [r for r in drawn.without_fragments(records) if r["org"] in fragmented]
    clean = {**by_org, **drawn.org_rows(kept, model_for, args.renders)}
    print_without_fragments(records, clean)
    print_styles(by_style)
    print(
        json.dumps(
            {
                "models": name,
                "renders": args.renders,
                "seen": sorted(seen),
                "by_org": {
                    org: {k: round(t.accuracy, 5) for k, t in row.items()}
                    for org, row in by_org.items()
                },
                "by_org_without_fragments": {
                    org: {k: round(t.accuracy, 5) for k, t in row.items()}
                    for org, row in clean.items()
                },
                "by_style": {
                    k: {"accuracy": round(t.accuracy, 5), "n": t.count} for k, t in by_style.items()
                },
                "mnist_test": mnist,
            }
        )
    )


if __name__ == "__main__":
    main()
