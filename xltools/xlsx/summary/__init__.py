"""The manager's summary workbook: the tables by subject (``tables``), laid out with charts (``workbook``)."""
