"""Code that runs inside the student's kernel: bindings tracked after each cell, the questions answered.

Read as text and executed in the kernel (or the kernel template); never imported by the grader,
and imports nothing of it (standard library and what the kernel has).
"""
