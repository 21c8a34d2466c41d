"""CSV for Excel: any CSV URL with `_bom=on` starts with a UTF-8 byte order mark.

Excel on Thai Windows reads a CSV without a BOM as Windows-874 and garbles the Thai; with the BOM
it reads UTF-8. The link "CSV สำหรับ Excel / CSV for Excel" on every table and query page adds
`_bom=on` (and `_dl=on`, so the file downloads). Text Excel would run as a formula (a cell that
starts with =, +, -, @) starts with ' there (openbangkok.site.exports.excel_text). Everything else is Datasette's
own CSV, streamed as it is: filters, `_stream=on` for every row, `_labels`. The plain `.csv` API is
unchanged.
"""

from openbangkok.site.exports.excel_text import excel_csv_middleware


def wrapper(datasette):
    return excel_csv_middleware(datasette)
