"""Running the book: the chapter list, headless execution, the freeze guard, the supplement export,
finding (or installing once) the Quarto to render with.

Machinery around the report; uses `report` (and the layers below). Nothing here computes a result.
"""
