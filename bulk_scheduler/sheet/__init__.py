"""Spreadsheets in and out: reading campaign files, the results sheet, the template, and
the same as pandas DataFrames (``dataframe``, imported only when a DataFrame is used).

The only package that imports csv, openpyxl, python-calamine or pandas."""
