"""Where the official law texts (reference data beside the repository) are: ../shared/laws, or QUIZAPP_LAWS_DIR."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAWS_DIR = Path(os.environ.get("QUIZAPP_LAWS_DIR") or REPO_ROOT.parent / "shared" / "laws")
