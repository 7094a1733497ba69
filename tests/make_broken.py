"""Builders of broken and hostile workbooks, as reps' folders really contain them.

Each function writes one file into ``folder`` and returns its path. Nothing here needs more than
the project's own dependencies: the old .xls is a hand-built OLE2 compound file, and the zip bombs
are streamed so that building them stays fast and light on memory.
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def valid_xlsx(folder: Path, name: str = "valid.xlsx", rows: int = 10) -> Path:
    """A small, ordinary workbook: a header and ``rows`` rows of text, numbers and dates."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["客户名称", "金额（万元）", "日期", "备注"])
    for i in range(rows):
        ws.append([f"客户{i}", i * 1.5, f"2024-01-{i % 28 + 1:02d}", "正常"])
    path = Path(folder) / name
    wb.save(path)
    return path


def empty_file(folder: Path, name: str = "empty.xlsx") -> Path:
    path = Path(folder) / name
    path.write_bytes(b"")
    return path


def truncated_xlsx(folder: Path, name: str = "truncated.xlsx") -> Path:
    """The first half of a valid workbook, as an interrupted download leaves it."""
    whole = valid_xlsx(folder, "_whole.xlsx", rows=200).read_bytes()
    (Path(folder) / "_whole.xlsx").unlink()
    path = Path(folder) / name
    path.write_bytes(whole[: len(whole) // 2])
    return path


def csv_named_xlsx(folder: Path, name: str = "csv.xlsx") -> Path:
    path = Path(folder) / name
    path.write_text("客户名称,金额,日期\n华北公司,12.5,2024-03-01\n华南公司,8,2024-03-02\n", encoding="utf-8")
    return path


def html_named_xlsx(folder: Path, name: str = "web.xlsx") -> Path:
    """What many web systems produce when asked to "export to Excel"."""
    path = Path(folder) / name
    path.write_text(
        '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head>'
        "<body><table><tr><td>客户名称</td><td>金额</td></tr><tr><td>华北公司</td><td>12.5</td></tr>"
        "</table></body></html>",
        encoding="utf-8",
    )
    return path


def plain_zip_named_xlsx(folder: Path, name: str = "archive.xlsx") -> Path:
    path = Path(folder) / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "not a workbook")
        zf.writestr("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 100)
    return path


def docx_named_xlsx(folder: Path, name: str = "report.xlsx") -> Path:
    """The parts of a Word document, in a file named .xlsx."""
    path = Path(folder) / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
    return path


def encrypted_xlsx(folder: Path, name: str = "locked.xlsx", password: str = "1234") -> Path:
    """A password-protected workbook, as Excel saves it: an OLE2 file holding the encrypted package."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = valid_xlsx(folder, "_plain.xlsx")
    path = Path(folder) / name
    with open(plain, "rb") as src, open(path, "wb") as out:
        OOXMLFile(src).encrypt(password, out)
    plain.unlink()
    return path


def old_xls(folder: Path, name: str = "old.xls") -> Path:
    """An Excel 97-2003 file: an OLE2 compound file with a 'Workbook' stream holding BIFF8 records."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    eof = struct.pack("<HH", 0x000A, 0)
    path = Path(folder) / name
    path.write_bytes(_compound_file({"Workbook": bof + eof}))
    return path


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors) holding the given streams.

    Each stream is padded to 4096 bytes, the size from which streams live in ordinary sectors, so no
    mini stream is needed. Layout: sector 0 is the FAT, sector 1 the directory, then the streams.
    """
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    assert len(streams) <= 3, "one directory sector holds the root and three streams"
    data, starts, sizes = b"", [], []
    for content in streams.values():
        # Smaller streams would belong in the mini stream; readers ignore the zeros after the last record.
        padded = content.ljust(max(4096, -(-len(content) // 512) * 512), b"\x00")
        starts.append(2 + len(data) // 512)
        sizes.append(len(padded))
        data += padded
    fat = [fat_sector, end]
    for start, size in zip(starts, sizes):
        count = size // 512
        fat += [start + i + 1 for i in range(count - 1)] + [end]
    assert len(fat) <= 128, "one FAT sector describes 128 sectors"
    fat_bytes = struct.pack("<128I", *(fat + [free] * (128 - len(fat))))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", no_stream, right, child) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
                + struct.pack("<IQ", start, size))

    names = list(streams)
    # Siblings as a right-leaning chain: valid for a black-coloured tree that readers accept.
    directory = entry("Root Entry", 5, 1 if names else no_stream, no_stream, end, 0)
    for i, stream_name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else no_stream
        directory += entry(stream_name, 2, no_stream, right, starts[i], sizes[i])
    directory = directory.ljust(512, b"\x00")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", 0, *([free] * 108)))
    return header + fat_bytes + directory + data


def _rewrite(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """Copy a workbook, replacing some parts' content."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return target


def zip_bomb(folder: Path, name: str = "bomb.xlsx", unpacked_mb: int = 1024) -> Path:
    """A workbook whose sheet inflates to ``unpacked_mb`` MB of blank space from about a thousandth of that.

    The part is streamed in chunks, so building a 1 GiB bomb needs no more than a few MB of memory.
    """
    source = valid_xlsx(folder, "_source.xlsx")
    path = Path(folder) / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in src.infolist():
            if info.filename != SHEET:
                out.writestr(info.filename, src.read(info.filename))
        with out.open(SHEET, "w", force_zip64=True) as part:
            part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            blank = b" " * MB
            for _ in range(unpacked_mb):
                part.write(blank)
            part.write(b"</sheetData></worksheet>")
    source.unlink()
    return path


def far_cell_xlsx(folder: Path, name: str = "far.xlsx", cell: str = "XFD1048576") -> Path:
    """A legal 5 KB workbook with one value at the last cell of the grid (openpyxl writes a true <dimension>)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "客户名称"
    ws[cell] = 1
    path = Path(folder) / name
    wb.save(path)
    return path


def far_cell_lying_dimension(folder: Path, name: str = "far_lying.xlsx", cell: str = "XFD1048576") -> Path:
    """The same far value, but the sheet's <dimension> claims the data fits in A1."""
    source = far_cell_xlsx(folder, "_far.xlsx", cell)
    with zipfile.ZipFile(source) as zf:
        sheet = zf.read(SHEET)
    lying = sheet.replace(f'<dimension ref="A1:{cell}" />'.encode(), b'<dimension ref="A1" />')
    assert lying != sheet, "openpyxl wrote the dimension differently than expected"
    _rewrite(source, Path(folder) / name, {SHEET: lying})
    source.unlink()
    return Path(folder) / name


def entity_bomb_xlsx(folder: Path, name: str = "laughs.xlsx") -> Path:
    """A workbook whose shared strings hold a "billion laughs" entity bomb."""
    # xlsxwriter, unlike openpyxl, keeps text in the shared strings part.
    source = big_xlsx(folder, "_laughs_source.xlsx", rows=5)
    with zipfile.ZipFile(source) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    ).encode()
    _rewrite(source, Path(folder) / name, {"xl/sharedStrings.xml": shared})
    source.unlink()
    return Path(folder) / name


def dimension_lies_xlsx(folder: Path, name: str = "dimension_lies.xlsx", rows: int = 50) -> Path:
    """``rows`` rows of data while <dimension> claims A1:C4: legal for the sniff, a trap for readers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(1, rows + 1):
        ws.append([f"客户{i}", i, i * 2])
    source = Path(folder) / "_dimension_source.xlsx"
    wb.save(source)
    with zipfile.ZipFile(source) as zf:
        sheet = zf.read(SHEET)
    lying = sheet.replace(f'<dimension ref="A1:C{rows}" />'.encode(), b'<dimension ref="A1:C4" />')
    assert lying != sheet, "openpyxl wrote the dimension differently than expected"
    _rewrite(source, Path(folder) / name, {SHEET: lying})
    source.unlink()
    return Path(folder) / name


def big_xlsx(folder: Path, name: str = "big.xlsx", rows: int = 300, columns: int = 12) -> Path:
    """An ordinary form-sized workbook (written with xlsxwriter, as fast as Excel's own output)."""
    import xlsxwriter

    path = Path(folder) / name
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("明细")
    ws.write_row(0, 0, [f"列{c}" for c in range(columns)])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"客户{r}" if c == 0 else r * c * 0.5 for c in range(columns)])
    wb.close()
    return path



def far_cell_unusual_spelling(folder: Path, name: str = "far_quotes.xlsx", cell: str = "XFD1048576") -> Path:
    """The far value, its reference written r='…' after a line break: legal XML no common writer produces."""
    source = far_cell_xlsx(folder, "_far_spelling.xlsx", cell)
    with zipfile.ZipFile(source) as zf:
        sheet = zf.read(SHEET)
    odd = sheet.replace(f' r="{cell}"'.encode(), f"\nr='{cell}'".encode())
    odd = odd.replace(f' r="{cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"'.encode(), b" r='1048576'")
    assert odd != sheet
    _rewrite(source, Path(folder) / name, {SHEET: odd})
    source.unlink()
    return Path(folder) / name


def corrupt_xlsx(folder: Path, name: str = "corrupt.xlsx") -> Path:
    """A complete workbook whose sheet's compressed bytes were damaged (bad sector, broken transfer)."""
    source = big_xlsx(folder, "_corrupt_source.xlsx", rows=300)
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as zf:
        info = zf.getinfo(SHEET)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    middle = start + info.compress_size // 2
    for i in range(middle, middle + 16):
        data[i] ^= 0xFF
    source.unlink()
    path = Path(folder) / name
    path.write_bytes(bytes(data))
    return path


def rows_without_refs_xlsx(folder: Path, name: str = "no_refs.xlsx", rows: int = 30) -> Path:
    """A sheet whose rows and cells leave out r="…" (legal: readers count them instead)."""
    source = valid_xlsx(folder, "_no_refs_source.xlsx")
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + b"<row><c><v>1</v></c></row>" * rows + b"</sheetData></worksheet>")
    _rewrite(source, Path(folder) / name, {SHEET: sheet})
    source.unlink()
    return Path(folder) / name
