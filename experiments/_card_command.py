"""The ``card`` command: write the model card of a run or a registered model from its artifacts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from border_readiness.errors import UsageError


def _cmd_card(args: argparse.Namespace) -> int:
    """Write the model card of a run or registered model (``card``)."""
    import tempfile

    import mlflow

    from border_readiness.experiments.card import (
        CardData,
        parse_formats,
        render_card,
        write_card_files,
    )
    from border_readiness.experiments.tracking import open_store

    try:
        formats = parse_formats(args.format)
    except ValueError as exc:
        raise UsageError(f"--format {args.format}: {exc}") from None
    if args.model and "@" not in args.model:
        raise UsageError(f"--model {args.model}: expected NAME@ALIAS")
    client, uri = open_store(args.tracking_uri)
    if args.model:
        name, alias = args.model.split("@", 1)
        try:
            mv = client.get_model_version_by_alias(name, alias)
        except mlflow.exceptions.MlflowException:
            raise UsageError(f"--model {args.model}: no such model and alias in {uri}") from None
        run_id = mv.run_id
    else:
        run_id = args.run_id
        try:
            client.get_run(run_id)
        except mlflow.exceptions.MlflowException:
            raise UsageError(f"--run-id {run_id}: no such run in {uri}") from None
    with tempfile.TemporaryDirectory(prefix="br-card-") as tmp:
        try:
            folder = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path="model_card", dst_path=tmp
                )
            )
        except Exception as exc:  # mlflow raises various types for a missing artifact
            raise UsageError(
                f"run {run_id} has no model card artifacts ({type(exc).__name__}: {exc})"
            ) from None
        card = json.loads((folder / "card_data.json").read_text(encoding="utf-8"))
        figures = {p.stem: p.read_bytes() for p in sorted((folder / "figures").glob("*.png"))}
    data = CardData.from_dict(card, figures)
    files = render_card(data, formats)
    details = card["model_details"]
    card_dir = Path(args.out) / "models" / details["name"] / f"v{details['version']}"
    written = write_card_files(files, card_dir)
    if not args.quiet:
        print(
            f"model card of run {run_id} ({details['name']} version {details['version']}): "
            f"{len(written)} files in {card_dir}"
        )
    return 0
