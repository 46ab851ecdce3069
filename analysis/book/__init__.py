"""Running the book: the chapter list, headless execution, the freeze guard, the supplement export,
finding (or installing once) the Quarto to render with.

Machinery around the report; uses `report` (and the layers below). Nothing here computes a result.
"""

import sys

# nbformat imports jsonschema, whose format checkers import `rfc3987_syntax` when it is installed
# (jupyter_server's dependencies bring it): that module builds an Earley parser of the IRI grammar
# at import, 1-3 s on every command that reads or runs a notebook. No schema used here checks the
# "iri" format (nbformat validates without format checking), so it is marked absent before
# anything below imports nbformat; jsonschema then simply does not register the IRI checks.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
