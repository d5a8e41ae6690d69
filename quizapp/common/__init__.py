"""Pieces every domain uses: clock, column types, pagination, spreadsheets."""
