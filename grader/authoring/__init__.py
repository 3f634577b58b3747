"""The instructor's commands around an assignment: release, validate, calibrate, and the student's
`grade check`.

Drives `grader.grade` and `grader.pool` over the reference; may import every stage, never the CLI.
"""
