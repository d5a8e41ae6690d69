"""Pages of the accounts domain, one blueprint per module: sign-in (``auth``), the unit tree (``units``), people (``users``)."""
