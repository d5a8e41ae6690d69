"""Every domain's models, imported in one place so Alembic and create_app see the whole schema."""
from .accounts.models import Unit, User  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .common.uploads import StagedUpload  # noqa: F401
from .bank.models import Bank, ImportRecord, Question  # noqa: F401
from .exams.models import AttemptEvent  # noqa: F401
from .exams.models import (Attempt, AttemptItem, Certificate, CertificateSetting, Exam,  # noqa: F401
                           ExamOverride, ExamResult, ExamUnit, PaperQuestion, PaperRule, PaperVariant)
from .practice.models import MistakeEntry, PracticeAnswer, PracticeSession  # noqa: F401
from .study.models import (Law, LawArticle, LawHeading, LawSource, LawVersion, Material,  # noqa: F401
                           MaterialCategory, MaterialFile, MaterialRequirement, OfflineAttendance, OfflineSession,
                           StudyCredit, StudyProgress, StudySession, StudyTarget)
from .reports.models import PersonStat, Refresh, ReportSetting, ShufaText, UnitStat  # noqa: F401
from .notices.models import Notice  # noqa: F401
from .engage.models import (Case, Contest, ContestAnswer, ContestPlayer, DailySet,  # noqa: F401
                            LegalAideCertificate, ReviewCard)
from .jobs import Job  # noqa: F401,E402
