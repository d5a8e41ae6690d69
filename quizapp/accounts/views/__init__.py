"""Pages of the accounts domain, one blueprint per module.

``auth`` (sign-in, passwords), ``units`` (the unit tree), ``users`` (people).
"""
