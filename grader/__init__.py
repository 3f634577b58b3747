"""Autograder for PyTorch classification notebooks.

One package per stage, in the order a submission meets them: `intake` (discover) → `execute` →
`probe` → `check` → `report` (figures) → `record` → `integrity` → `report`; `review` over the stored
results, `authoring` for the instructor's commands, `cli` on top, `core` underneath, and `inside`
for the code that runs in the student's kernel. `grade.grade_submission` runs one submission,
`pipeline.grade_folder` a batch. Specs import `grader.spec`. docs/architecture.md has the map.
"""

from grader.core import legacy as _legacy

_legacy.install()  # the flat module paths of earlier releases (grader.channel, …) keep working for one release
