"""A page of plain rows (not ORM models) with what the shared pager macro reads; page numbers in range."""
from dataclasses import dataclass

from flask import abort, request

# Far beyond any real list (20 a page), and small enough that no offset overflows a database integer.
MAX_PAGE = 1_000_000


def refuse_out_of_range_page():
    """before_request: ``?page=`` that is not a whole number from 1 to MAX_PAGE names no page (404, not a 500)."""
    value = request.args.get("page")
    if value is not None and not (value.isascii() and value.isdigit() and len(value) <= 7
                                  and 1 <= int(value) <= MAX_PAGE):
        abort(404)


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1
