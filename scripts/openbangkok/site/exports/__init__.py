"""Downloads streamed in bounded memory: every row of a view, page after page through Datasette's
own JSON (pages), the .xlsx writer (xlsx_stream), and the formula guard of CSV for Excel (excel_text)."""
