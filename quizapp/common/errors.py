"""Domain errors: refusals that carry every problem at once, and objects that are missing or not the viewer's."""


class ServiceError(Exception):
    """A use case refused; ``problems`` is a list of (field or None, Chinese message)."""

    def __init__(self, problems):
        if isinstance(problems, str):
            problems = [(None, problems)]
        self.problems = list(problems)
        super().__init__("; ".join(message for _, message in self.problems))

    @property
    def messages(self):
        return [message for _, message in self.problems]


class NotFound(Exception):
    """The object does not exist. Mapped to 404 in one place (quizapp/errors.py)."""


class Forbidden(NotFound):
    """The object exists but is not the viewer's to see or change.

    The response is the same 404 as for a missing object ("not yours" has one
    status everywhere, so ids cannot be probed); the separate class lets the
    error handler record the denied access.
    """


def put_on_form(form, error: ServiceError):
    """Attach a service's problems to the matching form fields (or the form)."""
    for field, message in error.problems:
        target = getattr(form, field, None) if field else None
        if target is not None and hasattr(target, "errors"):
            errors = list(target.errors)
            errors.append(message)
            target.errors = errors
        else:
            form.form_errors.append(message)
