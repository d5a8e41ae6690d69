"""Units, people, sign-in and scope."""
