"""Text files in the encoding they were saved in: the one place that says which encoding a file is
in (`text_encoding`), reads it in it (`open_text`, `utf8_text`) and names it (`encoding_note`).

Exports from an ATS are mostly UTF-8; Excel on Windows saves "CSV" in Windows-1252 (cp1252, where
"Offer – Verbal" has its dash at byte 0x96, a control character if read as Latin-1), and its
"Unicode text" (as some ATS exports) in UTF-16 with a byte order mark, tab-separated. Every CSV
reader of the loaders reads through here, so a file reads the same in each of them.
"""
from __future__ import annotations

import codecs
import csv
import itertools
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import charset_normalizer

# How much of a file its encoding is judged by: the first megabyte (and, from `fingerprint`, the
# megabyte where UTF-8 first fails); the rest is checked as it is read.
ENCODING_SAMPLE = 1 << 20
WESTERN = "cp1252"
# The encodings exports are saved in, besides UTF-8 and UTF-16 (known by their byte order mark):
# Windows code pages, their ISO siblings, Cyrillic KOI8, and the CJK ones. Not the DOS and old Mac
# code pages, which charset-normalizer otherwise offers for a few Western punctuation bytes.
CANDIDATES = ["cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
              "latin_1", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_9", "iso8859_15", "koi8_r", "koi8_u",
              "cp932", "euc_jp", "gb18030", "big5", "cp949"]
# How much less garbled (charset-normalizer's chaos) or more like a language (its coherence) the
# text must read in another encoding than in Windows-1252 for that encoding to win.
CLEARLY_BETTER = 0.1
_NAMES = {"cp1252": "Windows-1252 (cp1252)", "iso8859-1": "Latin-1 (ISO-8859-1)",
          "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE"}
# The codec a stream is read with: the byte order mark is not text.
_READ_AS = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}


class NotText(ValueError):
    """A file that is not text in its encoding; the message names the file (row and column) and why."""


def text_encoding(head: bytes, utf8: bool | None = None, sample: bytes = b"") -> str | None:
    """The encoding a file's text is in (a Python codec name: "utf-8", "utf-16-le", "cp1252", ...),
    or None for binary data, judged by its first bytes `head` (and `sample`, the block where UTF-8
    fails when that is further on; `utf8`: whether the whole file is UTF-8, when known):
    - UTF-16 LE or BE when it starts with a byte order mark;
    - None when it holds NUL characters (no text file does);
    - UTF-8 when it is UTF-8 (with or without a byte order mark);
    - else Windows-1252, unless its bytes are not text in Windows-1252 or charset-normalizer reads
      its non-ASCII lines clearly better in another encoding of CANDIDATES (cp1251 for Cyrillic,
      cp1250 for Polish, cp932 for Japanese). Windows-1252 wins ties: the few accented words of an
      export rarely tell it from its neighbours (cp1250 and cp1254 read "Größe" the same; Latin-1
      reads every byte, but 0x80-0x9F, "€ ’ – “", as control characters), and Western exports are
      the common case; a Turkish or Baltic file of a few words may then read as Windows-1252."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE):
        encoding = "utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        return None if "\x00" in head[:ENCODING_SAMPLE].decode(encoding, "replace") else encoding
    if b"\x00" in head:
        return None
    if utf8 is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head)   # a character cut at the end is fine
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return "utf-8"
    lines = b"\n".join(line for line in (sample or head).split(b"\n") if not line.isascii())[:1 << 16]
    try:
        lines.decode(WESTERN)
    except UnicodeDecodeError:
        guess = charset_normalizer.from_bytes(lines, cp_isolation=CANDIDATES).best()
        return codecs.lookup(guess.encoding).name if guess else None
    guess = charset_normalizer.from_bytes(lines, cp_isolation=CANDIDATES, threshold=0.5).best()
    if guess is None or WESTERN in guess.could_be_from_charset:
        return WESTERN
    western = charset_normalizer.from_bytes(lines, cp_isolation=[WESTERN], threshold=1.0).best()
    if (western is None or guess.chaos + CLEARLY_BETTER < western.chaos
            or guess.coherence > western.coherence + CLEARLY_BETTER):
        return codecs.lookup(guess.encoding).name
    return WESTERN


def file_encoding(path: Path) -> str | None:
    """`text_encoding` of a file, judged by its first ENCODING_SAMPLE bytes (`fingerprint` reads
    the whole file; this is for a file only looked at, or read beside another)."""
    with open(path, "rb") as fh:
        return text_encoding(fh.read(ENCODING_SAMPLE))


def encoding_name(encoding: str) -> str:
    """An encoding (a Python codec name) as people know it: `Windows-1252 (cp1252)`."""
    return _NAMES.get(encoding) or (f"Windows-{encoding[2:]} ({encoding})" if encoding.startswith("cp125")
                                    else encoding)


def encoding_note(encoding: str | None) -> list[str]:
    """The load report's note on a text file not in UTF-8: which encoding it was read as."""
    return [] if encoding in (None, "utf-8") else [f"read as {encoding_name(encoding)}: not UTF-8"]


def sniff_delimiter(head: bytes, encoding: str = "utf-8") -> str:
    """The delimiter of a CSV file from its first bytes (`,`, `;`, tab or `|`; `,` when unsure)."""
    try:
        return csv.Sniffer().sniff(head.decode(encoding, "replace"), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def binary_message(path: Path) -> str:
    return (f"{path}: this is not a text CSV file (it holds binary data); "
            "export the sheet as CSV (UTF-8) or load the .xlsx workbook itself")


@contextmanager
def open_text(path: Path, encoding: str | None = None):
    """The file as a text stream for `csv.reader` (line ends as written, no byte order mark), in
    `encoding` (by default, `file_encoding`'s). Raises NotText for binary data, and for a byte that
    is not text in the encoding (judged by a sample: this is where the rest is checked), naming its
    row and column."""
    encoding = encoding or file_encoding(path)
    if encoding is None:
        raise NotText(binary_message(path))
    try:
        with open(path, encoding=_READ_AS.get(encoding, encoding), newline="") as fh:
            yield fh
    except UnicodeDecodeError:
        raise NotText(_undecodable(path, encoding)) from None


@contextmanager
def utf8_text(path: Path, encoding: str | None):
    """The file to read as UTF-8 (DuckDB's and Arrow's CSV readers take nothing else): itself when
    it is UTF-8, else a copy written a megabyte at a time through `open_text` (so its lines, and
    row numbers, are the file's) in a temporary folder, under the file's own name."""
    if encoding == "utf-8":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="rpo-text-") as folder:
        copy = Path(folder) / path.name
        with open_text(path, encoding) as src, open(copy, "w", encoding="utf-8", newline="") as dst:
            shutil.copyfileobj(src, dst, ENCODING_SAMPLE)
        yield copy


def _undecodable(path: Path, encoding: str) -> str:
    """The message for the first byte of the file that is not text in `encoding`: its row (as
    the loaders number rows: the header is row 1) and column."""
    offset = _first_undecodable(path, encoding)
    with open(path, "rb") as fh:
        head = fh.read(4096)
        fh.seek(offset)
        byte = fh.read(1)
    header, row, fields = [], 0, []
    for row, fields in enumerate(csv.reader(_text_lines(path, encoding, offset),
                                            delimiter=sniff_delimiter(head, encoding)), 1):
        header = header or fields
    col = max(len(fields), 1)
    name = (f"column {header[col - 1].strip().removeprefix(chr(0xFEFF))!r}" if row > 1 and col <= len(header)
            else f"column {col}")
    return (f"{path}: row {row}, {name}: the byte 0x{byte.hex().upper() or '??'} is not text in "
            f"{encoding_name(encoding)}, the encoding the file's beginning is in; nothing of the file was loaded. "
            "Save the export again as CSV UTF-8 and load that")


def _first_undecodable(path: Path, encoding: str) -> int:
    """The offset of the first byte of the file that is not text in `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    done = 0
    with open(path, "rb") as fh:
        for chunk in itertools.chain(iter(lambda: fh.read(ENCODING_SAMPLE), b""), [b""]):
            pending = len(decoder.getstate()[0])   # bytes of a character cut at the end of a block
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return done - pending + exc.start
            done += len(chunk)
    return done


def _text_lines(path: Path, encoding: str, end: int):
    """The lines of the file's first `end` bytes as text, the last one cut where they end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    rest = ""
    with open(path, "rb") as fh:
        while end > 0 and (chunk := fh.read(min(ENCODING_SAMPLE, end))):
            end -= len(chunk)
            lines = (rest + decoder.decode(chunk)).split("\n")
            rest = lines.pop()
            yield from (line + "\n" for line in lines)
    yield rest
