"""Timed online exams: setup, taking, grading, results and certificates."""
