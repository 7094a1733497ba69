Attribute VB_Name = "xltools_buttons"
' Macros behind the form buttons of the xltools workbooks (built by xltools/xlsx/vba.py).
' Each button runs one public, argument-less macro, so that Excel lists it under
' "Assign Macro"; each macro hands over to Python through xlwings' RunPython, which
' the xlwings module embedded in the same workbook provides.
' Keep this file ASCII: the VBA project stores source in a single-byte code page.
Option Explicit

' Sales summary workbook: button "refresh summary"
Public Sub RefreshSummary()
    RunPython "import xltools.excel as x; x.refresh_summary()"
End Sub

' Sales summary workbook: button "refresh summary only"
Public Sub RefreshSummaryOnly()
    RunPython "import xltools.excel as x; x.rollup_only()"
End Sub

' Merge console workbook: button "validate"
Public Sub ValidateInbox()
    RunPython "import xltools.excel as x; x.validate_inbox()"
End Sub

' Merge console workbook: button "merge"
Public Sub MergeInbox()
    RunPython "import xltools.excel as x; x.merge_inbox()"
End Sub

' Both workbooks: button "check setup", which lists what is missing on the settings sheet
Public Sub CheckSetup()
    RunPython "import xltools.excel as x; x.check_setup()"
End Sub
