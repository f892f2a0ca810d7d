"""Review.

approvals and edits, attention, pause/resume/abort, read views, accounts and model reports.
"""
