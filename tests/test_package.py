"""Locating the parts of an .xlsx package the way other programs write it (ingest/package.py)."""
import zipfile

from xltools.ingest.package import relationships, resolve, sheets, worksheets

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _package(path, workbook: str, rels: str, extra: dict[str, str] | None = None):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return zipfile.ZipFile(path)


def test_sheets_are_found_however_the_tags_are_spelled(tmp_path):
    workbook = ('<x:workbook xmlns:x="m" xmlns:r="r"><x:sheets>'
                "<x:sheet r:id='rId2' sheetId='1' name='客户 &amp; 拜访'/>"
                '<x:sheet name="图表" sheetId="2" r:id="rId3"/>'
                '<x:sheet name="lost" sheetId="3" r:id="rId9"/></x:sheets></x:workbook>')
    rels = ('<Relationships xmlns="p">'
            f'<Relationship Target="/xl/worksheets/a.xml" Type="{REL}/worksheet" Id="rId2"/>'
            f"<Relationship Id='rId3' Type='{REL}/chartsheet' Target='chartsheets/c.xml'/></Relationships>")
    with _package(tmp_path / "book.xlsx", workbook, rels) as package:
        assert sheets(package) == [("客户 & 拜访", f"{REL}/worksheet", "xl/worksheets/a.xml"),
                                   ("图表", f"{REL}/chartsheet", "xl/chartsheets/c.xml"), ("lost", "", "")]
        assert worksheets(package) == {"客户 & 拜访": "xl/worksheets/a.xml"}


def test_a_part_s_relationships_resolve_relative_to_its_folder(tmp_path):
    sheet_rels = f'<Relationships><Relationship Id="rId1" Type="{REL}/vmlDrawing" Target="../drawings/v.vml"/></Relationships>'
    with _package(tmp_path / "book.xlsx", "<workbook/>", "<Relationships/>",
                  {"xl/worksheets/_rels/sheet1.xml.rels": sheet_rels}) as package:
        assert relationships(package, "xl/worksheets/sheet1.xml") == {"rId1": (f"{REL}/vmlDrawing", "xl/drawings/v.vml")}
        assert relationships(package, "xl/worksheets/sheet2.xml") == {}       # no relationships part at all
    assert resolve("xl", "worksheets/./s.xml") == "xl/worksheets/s.xml"
