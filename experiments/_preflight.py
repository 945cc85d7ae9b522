"""Checks of where a command will write, made before any work, store or artifact exists.

A command's output folder (``--out``), output file (``data export --out``), model name and
alias, and tracking URI are checked here, at the start of the command, so that a mistake in
any of them is one line and exit 2 instead of a traceback after the whole analysis. Nothing is
created: a folder that does not exist yet is created later, when the outputs are written.

Outputs never go into the installed package or the project's source folders (``api/``,
``features/``, ``clustering/``, ``experiments/``, ``tests/``): those hold code and the bundled
data, which a command must not overwrite.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from border_readiness.errors import UsageError

__all__ = [
    "check_args",
    "check_model",
    "check_out_dir",
    "check_out_file",
    "check_tracking_uri",
    "protected_folders",
]

#: Seconds to wait for an HTTP tracking server to answer before calling it unreachable.
HTTP_TIMEOUT = 5.0


def protected_folders() -> list[Path]:
    """The folders no command writes into: the installed package and the project's sources.

    Returns
    -------
    list of Path
        The resolved folders of ``border_readiness`` and its subpackages (wherever they are
        installed) and, for a source checkout (a ``pyproject.toml`` beside ``api/``), its
        ``tests/`` folder.

    Examples
    --------
    >>> any(p.name == "features" for p in protected_folders())
    True
    """
    import border_readiness

    folders = [Path(border_readiness.__file__).resolve().parent]
    for sub in ("features", "clustering", "experiments"):
        module = __import__(f"border_readiness.{sub}", fromlist=["_"])
        folders.append(Path(module.__file__).resolve().parent)
    root = folders[0].parent
    if (root / "pyproject.toml").is_file() and (root / "tests").is_dir():
        folders.append(root / "tests")
    return list(dict.fromkeys(folders))


def _inside_package(path: Path) -> Path | None:
    target = path.resolve()
    for folder in protected_folders():
        if target == folder or target.is_relative_to(folder):
            return folder
    return None


def _existing_ancestor(path: Path) -> Path:
    """The nearest part of ``path`` that exists (``path`` itself when it does)."""
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _writable_folder(folder: Path) -> str | None:
    """Why no file can be created in ``folder``, or None when one can.

    ``os.access`` is not enough: it says yes to root everywhere, also on ``/proc`` and
    ``/sys``. A temporary folder is created and removed at once instead (it leaves nothing).
    """
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".br-probe-", dir=folder))
    except OSError as exc:
        return f"cannot write in {folder} ({os.strerror(exc.errno or errno.EACCES)})"
    return None


def check_out_dir(out: str | Path | None, option: str = "--out") -> None:
    """Refuse an output folder that cannot be, or must not be, written into.

    Parameters
    ----------
    out : str or Path or None
        The folder as given; None (no folder given) passes.
    option : str, default "--out"
        How the message names the option.

    Raises
    ------
    UsageError
        ``out`` is an existing file, lies under a file (``/dev/null/x``), cannot be created
        or written (permissions, a read-only or virtual file system), or is inside the
        package or the project's source folders.

    Examples
    --------
    >>> import tempfile
    >>> check_out_dir(tempfile.mkdtemp() + "/new/folder")  # created later, when written
    """
    if out is None:
        return
    path = Path(out)
    where = f"{option} {out}"
    if str(out).strip() == "":
        raise UsageError(f"{option}: empty; expected a folder")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{where}: is a file, not a folder; expected a folder for the outputs")
    folder = _inside_package(path)
    if folder is not None:
        raise UsageError(
            f"{where}: inside the border_readiness package or its source folders ({folder}); "
            "write the outputs elsewhere"
        )
    problem = _creation_problem(path, where)
    if problem is not None:
        raise UsageError(f"{where}: cannot be written: {problem}")


def _creation_problem(start: Path, where: str) -> str | None:
    """Why nothing can be created at ``start`` (None: it can); a file on the way is refused."""
    ancestor = _existing_ancestor(start)
    if not ancestor.is_dir():
        raise UsageError(f"{where}: cannot be created: {ancestor} is a file, not a folder")
    return _writable_folder(ancestor)


def check_out_file(out: str | Path, option: str = "--out") -> None:
    """Refuse an output file that cannot be, or must not be, written.

    Parameters
    ----------
    out : str or Path
        The file as given; its folder is created when missing.
    option : str, default "--out"
        How the message names the option.

    Raises
    ------
    UsageError
        ``out`` is a folder, lies under a file, cannot be written, or is inside the
        package or the project's source folders (the bundled dataset included).

    Examples
    --------
    >>> import tempfile
    >>> check_out_file(tempfile.mkdtemp() + "/sub/regions.csv")
    """
    path = Path(out)
    where = f"{option} {out}"
    if path.is_dir():
        raise UsageError(f"{where}: is a folder; expected a file name")
    folder = _inside_package(path)
    if folder is not None:
        raise UsageError(
            f"{where}: inside the border_readiness package or its source folders ({folder}); "
            "the bundled data are not overwritten: write the file elsewhere"
        )
    problem = _creation_problem(path.parent if str(path.parent) else Path("."), where)
    if problem is None and path.exists() and not os.access(path, os.W_OK):
        problem = f"{path} is read-only"
    if problem is not None:
        raise UsageError(f"{where}: cannot be written: {problem}")


def check_model(name: str, alias: str | None, where: str) -> None:
    r"""Refuse a model name or alias that MLflow would reject, or that is not a plain name.

    MLflow's own validators decide (``mlflow.utils.validation``): a name is not empty and has
    no ``/`` or ``:`` and does not resolve to another path; an alias is letters, digits,
    ``_`` and ``-`` only, and not one MLflow reserves (``latest``, ``v<digits>`` such as
    ``v2``). A name is also a folder of ``OUT/models/``, so ``\``, ``.`` and ``..`` and a
    leading dot or space are refused too.

    Parameters
    ----------
    name : str
        The registered model's name.
    alias : str or None
        Its alias; None skips the alias.
    where : str
        How the message names the setting (``"config.toml: model.name"``, ``"--model"``).

    Raises
    ------
    UsageError
        One line naming the setting, the value and the rule.

    Examples
    --------
    >>> check_model("border-readiness", "champion", "--model")
    >>> check_model("border-readiness", "latest", "--model")
    Traceback (most recent call last):
    ...
    border_readiness.errors.UsageError: --model: alias 'latest' is reserved by MLflow ...
    """
    from mlflow.exceptions import MlflowException
    from mlflow.utils.validation import (
        _validate_model_alias_name,
        _validate_model_alias_name_reserved,
        _validate_model_name,
    )

    try:
        _validate_model_name(name)
    except MlflowException as exc:
        raise UsageError(f"{where}: model name {name!r} refused ({exc.message})") from None
    if "\\" in name or name.strip() != name or name.startswith(".") or "\x00" in name:
        raise UsageError(
            f"{where}: model name {name!r} refused (no backslash, leading dot or surrounding "
            "spaces: the name is also a folder of OUT/models/)"
        )
    if alias is None:
        return
    try:
        _validate_model_alias_name(alias)
    except MlflowException as exc:
        raise UsageError(f"{where}: alias {alias!r} refused ({exc.message})") from None
    try:
        _validate_model_alias_name_reserved(alias)
    except MlflowException:
        raise UsageError(
            f"{where}: alias {alias!r} is reserved by MLflow ('latest' and v<N> name "
            "versions); choose another, e.g. champion"
        ) from None


def _known_schemes() -> set[str]:
    try:  # the schemes MLflow (with its installed plugins) has a tracking store for
        from mlflow.tracking._tracking_service import utils

        return set(utils._tracking_store_registry._registry)
    except (ImportError, AttributeError):
        return {"", "file", "sqlite", "http", "https", "postgresql", "mysql", "mssql"}


def check_tracking_uri(uri: str | None, *, create: bool) -> None:
    """Refuse a tracking URI that cannot be opened, before anything is written to it.

    Parameters
    ----------
    uri : str or None
        ``--tracking-uri``; None (the default ``./mlflow.db``) is checked by the caller.
    create : bool
        The command creates the store if missing (``run``); False: it must exist already
        (``retrain``, ``card``).

    Raises
    ------
    UsageError
        An unknown scheme; a SQLite file whose folder does not exist, is not writable, or
        (``create=False``) that does not exist; an HTTP server that does not answer.

    Examples
    --------
    >>> check_tracking_uri("foo://bar", create=True)
    Traceback (most recent call last):
    ...
    border_readiness.errors.UsageError: --tracking-uri foo://bar: unknown scheme 'foo'...
    """
    if uri is None:
        return
    where = f"--tracking-uri {uri}"
    parts = urlparse(uri)
    scheme = parts.scheme.lower()
    # A Windows drive letter or a plain path is a file store, as MLflow reads it.
    if len(scheme) == 1 or scheme not in _known_schemes():
        raise UsageError(
            f"{where}: unknown scheme {parts.scheme!r}; expected sqlite:///FILE.db, "
            "http(s)://HOST:PORT of an mlflow server, file:///FOLDER or a database URI"
        )
    if scheme == "sqlite":
        _check_sqlite(uri, where, create=create)
    elif scheme in ("http", "https"):
        _check_http(uri, where)
    elif scheme in ("", "file"):
        folder = Path(parts.path if scheme == "file" else uri)
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{where}: {folder} is a file; a file store is a folder")
        if not folder.exists() and not create:
            raise UsageError(f"{where}: no store at {folder}")
        check_out_dir(folder, "--tracking-uri")


def _check_sqlite(uri: str, where: str, *, create: bool) -> None:
    # sqlite:///relative.db, sqlite:////absolute.db (SQLAlchemy's forms); sqlite:// is memory.
    path_text = uri.split(":", 1)[1].removeprefix("///").split("?", 1)[0]
    if uri.split(":", 1)[1] in ("", "//", "///:memory:"):
        return
    path = Path(path_text)
    if path.is_dir():
        raise UsageError(f"{where}: {path} is a folder; expected a SQLite file")
    if not path.exists():
        if not create:
            raise UsageError(f"{where}: no MLflow store at {path}; run `border-readiness run`")
        if not path.parent.is_dir():
            raise UsageError(
                f"{where}: the folder {path.parent} does not exist; create it or choose another"
            )
    folder = _inside_package(path)
    if folder is not None:
        raise UsageError(f"{where}: inside the border_readiness package ({folder})")
    problem = _writable_folder(path.parent)
    if problem is not None:
        raise UsageError(f"{where}: cannot be written: {problem}")


def _check_http(uri: str, where: str) -> None:
    """An HTTP store must answer; any HTTP status means a server is there."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=HTTP_TIMEOUT).close()
    except urllib.error.HTTPError:
        return  # it answered (perhaps 401 or 404): MLflow reports what follows
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(
            f"{where}: no tracking server answers ({reason}); start `mlflow server` or "
            "check the address"
        ) from None


def check_args(args) -> None:
    """Every check of this module that applies to a parsed command line, in one call.

    ``data export --out`` is a file; ``data build --out`` a folder when given (without it the
    command rebuilds the bundled dataset, a maintainer's step); every other ``--out`` a folder.
    ``card --model NAME@ALIAS`` is checked as a model name and alias; a tracked command's
    ``--tracking-uri`` must open (``run`` may create the store, ``retrain`` and ``card`` read
    an existing one).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Raises
    ------
    UsageError
        The first problem found, as one line.

    Examples
    --------
    >>> import argparse, tempfile
    >>> check_args(argparse.Namespace(command="score", out=tempfile.mkdtemp()))
    """
    command = getattr(args, "command", None)
    if command == "data":
        if args.data_command == "export":
            check_out_file(args.out)
        elif args.data_command == "build" and args.out is not None:
            check_out_dir(args.out)
        return
    check_out_dir(getattr(args, "out", None))
    model = getattr(args, "model", None)
    if command == "card" and model is not None and "@" in model:
        name, alias = model.split("@", 1)
        check_model(name, alias, f"--model {model}")
    if not hasattr(args, "tracking_uri"):
        return
    create = command == "run"
    if args.tracking_uri is None and create:
        if _inside_package(Path.cwd()) is not None:
            raise UsageError(
                f"the default store ./mlflow.db would be inside the border_readiness package "
                f"({Path.cwd()}); run from another folder or pass --tracking-uri"
            )
        problem = _writable_folder(Path.cwd())
        if problem is not None:  # the default store goes into the working folder
            raise UsageError(f"the default store ./mlflow.db: {problem}; pass --tracking-uri")
    check_tracking_uri(args.tracking_uri, create=create)
