"""Reading users' spreadsheets safely: .xlsx and .csv in, chunks of text cells out.

- .xlsx: the zip's total uncompressed size is checked before openpyxl opens it (zip bombs), and
  openpyxl parses with defusedxml when it is installed (no entity expansion, no external entities).
  Number cells are flagged, so that an ID number Excel turned into a number can be refused.
- .csv: UTF-8 (with or without BOM) or GBK/GB18030, detected; comma- or tab-separated.
- The header row is the first of the first ``HEADER_SEARCH_ROWS`` rows in which at least two cells
  are known column names, so a title row above the header (“××镇矛盾纠纷排查台账”) is fine; failing
  that (headers worded unlike any alias, in no sheet), the first row of text cells about as wide as
  the widest.
  A row of sub-headers under group headings (merged cells such as “当事人信息” over 姓名、身份证号)
  joins the header: a sub-header replaces the heading above it.
- Row numbers are those the user sees in Excel (1-based, header included); blank rows keep their number.

Cells come out as text exactly as written (no stripping here); nothing is dropped silently: hidden
sheets and sheets without a recognisable header are listed in ``Table.notes``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InvalidInput

HEADER_SEARCH_ROWS = 10
CHUNK_ROWS = 100_000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
"""Default limit of an .xlsx file's uncompressed size (the dashboard passes a smaller one)."""
MAX_COMPRESSION_RATIO = 200
EXTRA_COLUMNS = 8
"""Cells to the right of the header that a CSV row may carry (beyond that the file is refused)."""
SUFFIXES = (".xlsx", ".csv")
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gb18030": "GBK/GB18030"}

Recognise = Callable[[str], "str | None"]


@dataclass
class Chunk:
    """Consecutive data rows of one sheet: ``cells`` has one text column per header position (and extras)."""

    sheet: str | None
    headers: list[str]
    rows: np.ndarray
    cells: pd.DataFrame
    numeric: pd.DataFrame | None = None


@dataclass
class Table:
    """An opened file: what it is (``kind``, ``encoding``), the notes for the user, and its chunks."""

    path: Path
    display_name: str
    kind: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    rows_expected: int = 0
    """Data rows the file seems to hold (lines after the header; the sheets' dimensions), for progress."""
    _chunks: Callable[[], Iterator[Chunk]] | None = None

    def chunks(self) -> Iterator[Chunk]:
        return self._chunks()


def normalise_header(header) -> str:
    """Header text compared with the alias tables: no spaces, half-width brackets, no required-marks."""
    text = str(header if header is not None else "").strip().lstrip("\ufeff")
    text = text.translate(_HEADER_TABLE)
    for mark in ("(必填)", "(选填)", "(可选)"):
        text = text.replace(mark, "")
    return "".join(text.split()).strip("*").lower()


_HEADER_TABLE = str.maketrans({"（": "(", "）": ")", "：": ":", "＊": "*", "\u3000": " "})


def open_table(path: str | Path, display_name: str | None = None, *, recognise: Recognise,
               max_unpacked: int = MAX_UNPACKED_BYTES, chunk_rows: int = CHUNK_ROWS) -> Table:
    """Open a ledger file; raises ``InvalidInput`` (one sentence) when it cannot be read at all."""
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise InvalidInput(f"找不到文件 {name}：请检查路径后重新导入。")
    suffix = Path(name).suffix.lower() if display_name else path.suffix.lower()
    if suffix == ".xls":
        raise InvalidInput(f"文件 {name} 是旧版 Excel（.xls）格式：请在 Excel 中另存为 .xlsx 后重新导入。")
    if suffix not in SUFFIXES:
        raise InvalidInput(f"文件 {name} 的格式不受支持：台账请使用 .xlsx 或 .csv 文件。")
    if suffix == ".csv":
        return _open_csv(path, name, recognise, chunk_rows)
    return _open_xlsx(path, name, recognise, max_unpacked, chunk_rows)


# --- CSV -----------------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str | None:
    """``utf-8-sig`` (BOM), ``utf-8``, ``gb18030`` (GBK's superset), or None when none decodes the file."""
    with open(path, "rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig" if _decodes(path, "utf-8-sig") else None
    for encoding in ("utf-8", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(16 * 1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _open_csv(path: Path, name: str, recognise: Recognise, chunk_rows: int) -> Table:
    encoding = detect_encoding(path)
    if encoding is None:
        raise InvalidInput(f"文件 {name} 无法识别编码：请在 Excel 中另存为“CSV UTF-8”或 GBK 编码的 CSV 后重新导入。")
    with open(path, encoding=encoding, newline="") as handle:
        head = [handle.readline() for _ in range(HEADER_SEARCH_ROWS)]
    sample = "".join(head)
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    lines = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    found = find_header(lines, recognise) or find_header(lines, recognise, guess=True)
    if found is None:
        raise InvalidInput(f"文件 {name} 的前 {HEADER_SEARCH_ROWS} 行中找不到表头：请确认第一行（或标题下一行）是列名，"
                           "可下载导入模板对照。")
    header_index, depth = found
    headers = header_cells(lines, header_index, depth)
    header_index += depth - 1  # the last header row
    width = len(headers) + EXTRA_COLUMNS
    # Records, not lines, are counted: a quoted cell spanning two lines is still one row in Excel.
    skip = _records_before(path, encoding, delimiter, header_index + 1)
    table = Table(path, name, "csv", encoding=encoding, rows_expected=max(_lines(path) - skip, 0))

    def chunks() -> Iterator[Chunk]:
        reader = pd.read_csv(path, encoding=encoding, sep=delimiter, header=None, names=list(range(width)),
                             skiprows=skip, dtype=str, keep_default_na=False, na_filter=False,
                             skip_blank_lines=False, chunksize=chunk_rows, quotechar='"', engine="c")
        first_row = header_index + 2
        try:
            for frame in reader:
                rows = np.arange(first_row, first_row + len(frame))
                first_row += len(frame)
                yield Chunk(None, headers, rows, frame.reset_index(drop=True))
        except pd.errors.ParserError as exc:
            raise InvalidInput(f"文件 {name} 的列数超出表头太多，无法按列读取（{_parser_detail(exc)}）："
                               "请检查该行是否有多余的逗号或未配对的引号。") from exc

    table._chunks = chunks
    return table


def _lines(path: Path) -> int:
    """Physical lines of a file (a last line without a line break counts)."""
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(16 * 1024 * 1024):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _records_before(path: Path, encoding: str, delimiter: str, records: int) -> int:
    """Physical lines taken by the first ``records`` CSV records (pandas' ``skiprows`` counts lines)."""
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for _ in range(records):
            if next(reader, None) is None:
                break
        return reader.line_num


def _parser_detail(exc: Exception) -> str:
    text = str(exc).strip()
    if "Expected" in text and "line" in text:
        parts = text.split()
        try:
            line = int(parts[parts.index("line") + 1].rstrip(","))
            return f"约第 {line} 行"
        except (ValueError, IndexError):
            pass
    return text.splitlines()[0] if text else "格式错误"


def find_header(lines: list[list], recognise: Recognise, guess: bool = False) -> tuple[int, int] | None:
    """(index of the header row, header rows: 1, or 2 with a row of sub-headers below), or None.

    With ``guess``, a file whose headers are all unfamiliar gets its first wide row of text as the header.
    """
    lines = [["" if c is None else str(c).strip() for c in cells] for cells in lines[:HEADER_SEARCH_ROWS]]
    index = next((i for i, cells in enumerate(lines) if _known(cells, recognise) >= 2), None)
    if index is None and guess:
        index = _widest_text_row(lines)
    if index is None:
        return None
    below = lines[index + 1] if index + 1 < len(lines) else []
    if _known(below, recognise) >= 1 and not any(_looks_like_data(c) for c in below):
        return index, 2
    return index, 1


def header_cells(lines: list[list], index: int, depth: int) -> list[str]:
    """The header of ``find_header``: with a sub-header row, each sub-header replaces the heading above it."""
    rows = [["" if c is None else str(c).strip().lstrip("\ufeff") for c in lines[i]] for i in range(index, index + depth)]
    width = max(len(r) for r in rows)
    headers = [next((r[i] for r in reversed(rows) if i < len(r) and r[i]), "") for i in range(width)]
    while headers and headers[-1] == "":
        headers.pop()
    return headers


def _known(cells: list[str], recognise: Recognise) -> int:
    return len({recognise(normalise_header(c)) for c in cells if c} - {None})


def _looks_like_data(cell: str) -> bool:
    return any(ch.isdigit() for ch in cell) and all(ch.isdigit() or ch in " .:/-年月日时分秒T" for ch in cell)


def _widest_text_row(lines: list[list[str]]) -> int | None:
    """The first row of at least three text cells (no numbers or dates) nearly as wide as the widest row."""
    widths = [sum(1 for c in cells if c) for cells in lines]
    widest = max(widths, default=0)
    for index, cells in enumerate(lines):
        if widths[index] >= max(3, 0.6 * widest) and not any(_looks_like_data(c) for c in cells if c):
            return index
    return None


# --- XLSX ----------------------------------------------------------------------------------------

def check_xlsx_container(path: Path, name: str, max_unpacked: int) -> None:
    """Refuse what is not a whole zip, or would unpack to more than ``max_unpacked`` bytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            bad = archive.testzip() if path.stat().st_size < 64 * 1024 * 1024 else None
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"文件 {name} 不是完整的 .xlsx 文件（可能已损坏或没有下载完整）：请重新保存或重新下载后再导入。") from exc
    except (OSError, EOFError) as exc:
        raise InvalidInput(f"文件 {name} 无法读取（{exc}）：请重新保存后再导入。") from exc
    if bad is not None:
        raise InvalidInput(f"文件 {name} 已损坏（其中的 {bad} 校验失败）：请重新保存或重新下载后再导入。")
    unpacked = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if unpacked > max_unpacked:
        raise InvalidInput(f"文件 {name} 解压后有 {unpacked / 1024 / 1024:,.0f} MB，超过上限 {max_unpacked / 1024 / 1024:,.0f} MB："
                           "请把台账拆成几个文件分别导入。")
    if unpacked / packed > MAX_COMPRESSION_RATIO and unpacked > 10 * 1024 * 1024:
        raise InvalidInput(f"文件 {name} 的压缩比异常（{unpacked / packed:,.0f} 倍），疑似“压缩炸弹”，已拒绝。")
    if not any(m.filename == "[Content_Types].xml" for m in members):
        raise InvalidInput(f"文件 {name} 不是 Excel 工作簿（.xlsx）：请在 Excel 中另存为 .xlsx 后重新导入。")


def _open_xlsx(path: Path, name: str, recognise: Recognise, max_unpacked: int, chunk_rows: int) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx_container(path, name, max_unpacked)
    table = Table(path, name, "xlsx")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise _unreadable(name, exc) from exc
    heads = []
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            table.notes.append(f"隐藏的工作表“{sheet.title}”未导入")
            continue
        head = [["" if v is None else str(v) for v in values]
                for values in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
        heads.append((sheet, head, find_header(head, recognise)))
    if heads and not any(found for *_, found in heads):  # no known header anywhere: the first sheet's widest row
        sheet, head, _ = heads[0]
        heads[0] = (sheet, head, find_header(head, recognise, guess=True))
    sheets = []
    for sheet, head, found in heads:
        if found is None:
            if any(any(c.strip() for c in row) for row in head):
                table.notes.append(f"工作表“{sheet.title}”的前 {HEADER_SEARCH_ROWS} 行中找不到表头，未导入")
            continue
        index, depth = found
        headers = header_cells(head, index, depth)
        index += depth - 1  # the last header row
        sheets.append((sheet, index + 1, headers))
        table.rows_expected += max((sheet.max_row or 0) - index - 1, 0)
    if not sheets:
        book.close()
        raise InvalidInput(f"文件 {name} 中没有可识别表头的工作表：请确认列名（可下载导入模板对照）。")

    def chunks() -> Iterator[Chunk]:
        try:
            for sheet, header_row, headers in sheets:
                yield from _sheet_chunks(sheet, header_row, headers, chunk_rows)
        except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError, SyntaxError) as exc:
            raise _unreadable(name, exc) from exc
        finally:
            book.close()

    table._chunks = chunks
    return table


def _unreadable(name: str, exc: BaseException) -> InvalidInput:
    """One sentence for a workbook openpyxl cannot read; XML with entity declarations is named as such.

    (defusedxml's errors and expat's ParseError are subclasses of ValueError and SyntaxError; openpyxl
    wraps them in a ValueError whose cause is the original.)
    """
    chain, cause = [], exc
    while cause is not None and len(chain) < 5:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(type(e).__module__.startswith("defusedxml") for e in chain):
        return InvalidInput(f"文件 {name} 含有不允许的 XML 内容（实体声明，可能是恶意文件），已拒绝：请在 Excel 中另存为新的 .xlsx。")
    return InvalidInput(f"文件 {name} 无法作为 Excel 工作簿读取（内容已损坏或不是 Excel 保存的格式）：请在 Excel 中重新保存为 .xlsx。")


def _sheet_chunks(sheet, header_row: int, headers: list[str], chunk_rows: int) -> Iterator[Chunk]:
    width = len(headers) + EXTRA_COLUMNS
    buffer, row = [], header_row
    start = header_row + 1
    for values in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        row += 1
        values = tuple(values[:width]) + (None,) * max(0, width - len(values))
        buffer.append(values)
        if len(buffer) >= chunk_rows:
            yield _xlsx_chunk(sheet.title, headers, start, buffer)
            start, buffer = row + 1, []
    if buffer:
        yield _xlsx_chunk(sheet.title, headers, start, buffer)


def _xlsx_chunk(title: str, headers: list[str], start: int, buffer: list[tuple]) -> Chunk:
    raw = pd.DataFrame(buffer, dtype=object)
    cells = pd.DataFrame({c: [cell_text(v) for v in raw[c]] for c in raw.columns}, dtype=object)
    numeric = pd.DataFrame({c: [isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw[c]]
                            for c in raw.columns})
    return Chunk(title, headers, np.arange(start, start + len(buffer)), cells, numeric)


def cell_text(value) -> str:
    """A cell as the user would read it: numbers without a spurious “.0”, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def encoding_label(encoding: str | None) -> str:
    return ENCODING_LABELS.get(encoding or "", encoding or "")
