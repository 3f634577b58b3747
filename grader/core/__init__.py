"""The bottom layer: the data that flows between the stages and the definitions they share.

Results, assignments, the course secret, settings, file writing, the audience rule, output
labels, digests and the release format. Imports nothing of the grader outside `grader.core`.
"""
