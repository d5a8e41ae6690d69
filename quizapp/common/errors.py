"""Domain errors that carry every problem at once."""


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
