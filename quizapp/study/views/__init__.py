"""Pages of the study domain: law library, study materials, study records and offline sessions."""
from .laws import laws_bp
from .materials import materials_bp
from .offline import offline_bp
from .records import study_api_bp, study_bp


def all_blueprints():
    return [laws_bp, materials_bp, study_bp, study_api_bp, offline_bp]
