"""Where the buttons' results land: the workbook open in Excel (``live``), or a workbook file (``file``)."""
