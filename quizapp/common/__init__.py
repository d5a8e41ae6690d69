"""Pieces every domain uses: clock, column types, pagination, sign-in roles, forms, and parsers of uploaded files.

Nothing here imports a domain package: the parsers (spreadsheets, law texts)
are pure, so the question bank's citation audit and the study domain's law
library can both read law files without importing each other.
"""
