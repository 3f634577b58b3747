"""Autograder for PyTorch classification notebooks.

The pipeline, one module per stage: `discover` → `execute` → `probe` →
`check` → `record` → `report`; `pipeline.grade_folder` runs them all.
"""
