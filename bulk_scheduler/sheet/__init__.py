"""Spreadsheets in and out: reading campaign files, the results sheet, the template.

The only package that imports csv, openpyxl or python-calamine."""
