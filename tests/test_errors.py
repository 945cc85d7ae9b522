"""One error hierarchy.

What a user can cause is a UserInputError (exit 2, one line); a bug keeps its traceback.
"""

from __future__ import annotations

import pytest

from border_readiness.errors import BorderReadinessError, UserInputError
from border_readiness.experiments import cli


def _user_error_classes():
    from border_readiness.clustering.typologies import TypologyError
    from border_readiness.experiments.config import ConfigError
    from border_readiness.experiments.steps import PreparationError
    from border_readiness.experiments.tracking import StoreNotFound
    from border_readiness.features.catalogue import CatalogueError
    from border_readiness.features.dataset import DataValidationError
    from border_readiness.features.profiles import ProfileRuleError
    from border_readiness.features.regions import UnknownRegionError
    from border_readiness.features.sources._errors import SourceFormatError

    return [
        TypologyError,
        ConfigError,
        PreparationError,
        StoreNotFound,
        CatalogueError,
        DataValidationError,
        ProfileRuleError,
        UnknownRegionError,
        SourceFormatError,
    ]


@pytest.mark.parametrize("cls", _user_error_classes(), ids=lambda c: c.__name__)
def test_every_user_error_derives_from_the_one_base(cls):
    assert issubclass(cls, UserInputError) and issubclass(cls, BorderReadinessError)
    # Still a ValueError (LookupError for the store), as before the hierarchy.
    assert issubclass(cls, ValueError)


def test_a_user_error_is_one_line_and_exit_2(capsys, tmp_path):
    code = cli.main(["typology", "validate", "no_such_typology", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("border-readiness: error: ") and err.count("\n") == 1
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_a_bad_option_is_a_user_error(capsys):
    assert cli.main(["score", "--regions", "everything", "--out", "x"]) == 2
    assert "--regions" in capsys.readouterr().err


def test_a_bug_is_not_caught(monkeypatch):
    # A plain ValueError (or any other) from inside a command is a bug: it propagates, so the
    # console script exits 1 with the traceback.
    def broken(_args):
        raise ValueError("an internal inconsistency")

    monkeypatch.setattr(cli, "_cmd_data_validate", broken)
    with pytest.raises(ValueError, match="internal inconsistency"):
        cli.main(["data", "validate", "whatever.csv"])


def test_the_cli_catches_only_the_base_class():
    import inspect

    source = inspect.getsource(cli.main)
    assert "except UserInputError" in source
    assert source.count("except ") == 2  # UserInputError, and BrokenPipeError for `| head`
