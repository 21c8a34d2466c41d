"""Datasette's hooks: one module per concern, each wiring the logic of site/ or opendata/ into
Datasette (a hook module keeps only what is about Datasette's calling it: the hook functions, the
ASGI wrapper, the renderer's callbacks). plugins/openbangkok.py registers them, in an order it
documents, and composes their ASGI wrappers (each module's `wrapper(datasette)`) into one.

The top of the site's dependencies: imports site/, opendata/, model/ and thai/; nothing of the
package imports it but plugins/openbangkok.py (tests/test_structure.py).
"""
