"""Exam pages, one blueprint per module: taking (exams.*), manage (exam_admin.*), api (exam_api.*) and
verify (verify.*). Each handler: form -> service -> one commit -> response; GET handlers never write.
"""
