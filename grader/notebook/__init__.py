"""The checks inside the student's notebook: `check("ex3")` runs an exercise's public checks on the running kernel.

A light student package, built into a wheel by `grade release` (grader/authoring/student_package.py) with
the released public checks and roles embedded: it imports `grader.probe` (resolve, asking) and `grader.core`
only, never `grader.execute`, `grader.check`, nbclient, Jupyter's server parts, sqlite3, the hidden sets or
the course secret. The kernel side (grader/inside/) is read as text, as the grader reads it.
"""

from grader.notebook.checker import Checker
from grader.notebook.table import CheckRow, CheckTable

__all__ = ["CheckRow", "CheckTable", "Checker"]
