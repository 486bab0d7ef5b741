"""
Shared document infrastructure that knows no domain (docs/DESIGN: every app
may import it; it imports none of them): the formula-safe CSV writer for every
export (documents.exports).
"""
