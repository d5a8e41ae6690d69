"""Every domain's models, imported in one place so Alembic and create_app see the whole schema."""
from .accounts.models import Unit, User  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .common.uploads import StagedUpload  # noqa: F401
from .bank.models import Bank, ImportRecord, Question  # noqa: F401
