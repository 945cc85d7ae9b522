"""Builders of the output-path cases (``cases/outputs.toml``): files in the way, the package."""

from __future__ import annotations

from pathlib import Path

from _catalogue import builder


@builder
def outputs_existing_file(tmp: Path, name: str = "taken") -> dict[str, str]:
    """An existing file ``tmp/in/<name>`` where a folder is expected (``{file}``)."""
    path = tmp / "in" / name
    path.write_text("not a folder\n", encoding="utf-8")
    return {"file": str(path)}


@builder
def outputs_package(tmp: Path) -> dict[str, str]:
    """Folders of the installed package and the project (``{api}``, ``{features}``, ...)."""
    import border_readiness
    from border_readiness.features.dataset import bundled_dataset_path

    api = Path(border_readiness.__file__).resolve().parent
    bundled = bundled_dataset_path()
    return {
        "api": str(api),
        "features": str(bundled.parents[1]),
        "bundled": str(bundled),
        "bundled_dir": str(bundled.parent),
        "tests": str(Path(__file__).resolve().parents[1]),
        "experiments": str(Path(__file__).resolve().parents[2] / "experiments"),
    }


@builder
def outputs_config(tmp: Path, text: str) -> dict[str, str]:
    """An experiment config ``tmp/in/experiment.toml`` holding ``text`` (``{config}``)."""
    path = tmp / "in" / "experiment.toml"
    path.write_text(text, encoding="utf-8")
    return {"config": str(path)}


@builder
def outputs_folder(tmp: Path, name: str) -> dict[str, str]:
    """An existing empty folder ``tmp/in/<name>`` where a file is expected (``{folder}``)."""
    path = tmp / "in" / name
    path.mkdir()
    return {"folder": str(path)}
