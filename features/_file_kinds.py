"""What a user's file holds, told from its first bytes rather than its name, and its text.

A CSV renamed ``.xlsx``, a workbook saved as ``.csv``, a ``.csv.gz`` that was never
compressed: the name is a hint users get wrong, the content is not. Every reader of a user's
file (data, typologies, catalogue, profiles, configs, region sets, clusters) goes through
:func:`read_user_bytes` and :func:`read_user_text`, so a folder, a missing file, a truncated
archive, binary junk or a non-UTF-8 text gives one line naming the file and what was expected.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

__all__ = ["decode_utf8", "describe", "gunzip", "read_user_bytes", "read_user_text", "sniff"]

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty ZIP archive
    (b"PAR1", "parquet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),  # Excel 97-2003 .xls, old Word files
    # Excel's "Unicode text" and Notepad's "Unicode" save UTF-16 with a byte-order mark.
    (b"\xff\xfe", "utf16"),
    (b"\xfe\xff", "utf16"),
)
_LABELS = {
    "gzip": "gzip-compressed data",
    "zip": "a ZIP archive or Excel workbook",
    "parquet": "a Parquet file",
    "ole2": "an Excel 97-2003 (.xls) workbook",
    "binary": "not text, CSV, Parquet, Excel or gzip",
    "utf16": "UTF-16 text",
}
_UTF16 = "UTF-16 text (Excel's 'Unicode text'), expected UTF-8; re-save it as UTF-8"
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def sniff(raw: bytes) -> str:
    r"""The kind of content ``raw`` holds, from its first bytes.

    Parameters
    ----------
    raw : bytes
        The file's content (or its beginning).

    Returns
    -------
    str
        ``"gzip"``, ``"zip"`` (also every ``.xlsx``), ``"parquet"``, ``"ole2"`` (``.xls``),
        ``"utf16"`` (UTF-16 text with a byte-order mark),
        ``"binary"`` (a NUL byte in the first 8 KiB: no text file has one), or ``"text"``.

    Examples
    --------
    >>> sniff(b"region_id,year\n"), sniff(b"PAR1...PAR1"), sniff(b"\x00\x01")
    ('text', 'parquet', 'binary')
    """
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    return "binary" if b"\x00" in raw[:8192] else "text"


def describe(kind: str) -> str:
    """How messages call a kind of content that is not text.

    Parameters
    ----------
    kind : str
        A kind :func:`sniff` returns, other than ``"text"``.

    Returns
    -------
    str
        E.g. ``"gzip-compressed data"``.

    Examples
    --------
    >>> describe("ole2")
    'an Excel 97-2003 (.xls) workbook'
    """
    return _LABELS[kind]


def read_user_bytes(path: Path, error: type[Exception], *, label: str | None = None) -> bytes:
    """The bytes of a user's file, or one-line ``error`` if there is no readable file there.

    Parameters
    ----------
    path : Path
        The file.
    error : type of Exception
        The :class:`~border_readiness.errors.UserInputError` subclass to raise.
    label : str, optional
        How messages name the file (default: the path).

    Returns
    -------
    bytes
        The whole content.

    Raises
    ------
    error
        The path does not exist, is a folder, or cannot be read.

    Examples
    --------
    >>> from border_readiness.errors import UserInputError
    >>> try:
    ...     read_user_bytes(Path("/no/such/file.csv"), UserInputError)
    ... except UserInputError as exc:
    ...     print(exc)
    /no/such/file.csv: file not found
    """
    label = label or str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{label}: file not found") from None
    except IsADirectoryError:
        raise error(f"{label}: is a folder; expected a file") from None
    except OSError as exc:
        raise error(f"{label}: cannot be read ({exc.strerror or exc})") from None


def gunzip(raw: bytes, label: str, error: type[Exception]) -> bytes:
    r"""``raw`` decompressed, or ``error`` naming ``label`` for a truncated or corrupt stream.

    Parameters
    ----------
    raw : bytes
        gzip-compressed bytes.
    label : str
        How messages name the file.
    error : type of Exception
        The error to raise.

    Returns
    -------
    bytes
        The decompressed content.

    Raises
    ------
    error
        A download cut short, or bytes that only start like gzip.

    Examples
    --------
    >>> gunzip(gzip.compress(b"a,b\n"), "x.csv.gz", ValueError)
    b'a,b\n'
    """
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise error(
            f"{label}: truncated or corrupt gzip file ({exc}); download or compress it again"
        ) from None


def decode_utf8(raw: bytes, label: str, error: type[Exception]) -> str:
    r"""``raw`` as UTF-8 text (a byte-order mark is dropped); cp1251 is named when it is that.

    Parameters
    ----------
    raw : bytes
        The content.
    label : str
        How messages name the file.
    error : type of Exception
        The error to raise.

    Returns
    -------
    str
        The text.

    Raises
    ------
    error
        Not UTF-8; a Windows Cyrillic (cp1251) file is named as such with the fix.

    Examples
    --------
    >>> decode_utf8("\ufeffseed = 1".encode(), "x.toml", ValueError)
    'seed = 1'
    """
    try:
        # utf-8-sig: Excel and Notepad put a BOM in front of UTF-8 files.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Russian Windows tools save in cp1251 by default; name it so the fix is obvious.
        try:
            looks_cp1251 = bool(_CYRILLIC.search(raw.decode("cp1251")))
        except UnicodeDecodeError:
            looks_cp1251 = False
        if looks_cp1251:
            raise error(
                f"{label}: encoded as cp1251 (Windows Cyrillic), expected UTF-8; re-save it as "
                "UTF-8 (e.g. iconv -f cp1251 -t utf-8)"
            ) from None
        raise error(
            f"{label}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            "expected a UTF-8 file"
        ) from None


def read_user_text(
    path: str | Path, error: type[Exception], *, expected: str, label: str | None = None
) -> str:
    r"""A user's text file (TOML, CSV, a list of regions) as UTF-8 text, checked to be text.

    Parameters
    ----------
    path : path-like
        The file.
    error : type of Exception
        The :class:`~border_readiness.errors.UserInputError` subclass to raise.
    expected : str
        What the file should be, for messages (``"a UTF-8 TOML file"``).
    label : str, optional
        How messages name the file (default: the path).

    Returns
    -------
    str
        The text, byte-order mark dropped.

    Raises
    ------
    error
        No readable file, binary content (an archive, a workbook, a Parquet file, junk), or
        text that is not UTF-8.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".toml") as fh:
    ...     _ = fh.write(b"\x1f\x8b\x08")
    ...     fh.flush()
    ...     try:
    ...         read_user_text(fh.name, ValueError, expected="a TOML file", label="x.toml")
    ...     except ValueError as exc:
    ...         print(exc)
    x.toml: binary content (gzip-compressed data), expected a TOML file
    """
    label = label or str(path)
    raw = read_user_bytes(Path(path), error, label=label)
    kind = sniff(raw)
    if kind == "utf16":
        raise error(f"{label}: {_UTF16}; expected {expected}")
    if kind != "text":
        raise error(f"{label}: binary content ({describe(kind)}), expected {expected}")
    return decode_utf8(raw, label, error)
