"""What an assignment asks of the kernels that run its notebooks: its data folders, its pinned packages
(`[environment]` specifiers, the kernel environment grader/execute/environments.py builds) and, after a
run, how the kernel's versions differ from the course's."""

from __future__ import annotations

from dataclasses import replace

from grader.core.assignment import Assignment, AssignmentError
from grader.core.schema import is_version_specifier
from grader.core.settings import ExecuteSettings


def with_data_folders(settings: ExecuteSettings, assignments: list[Assignment]) -> ExecuteSettings:
    """`settings` whose kernels may read the data folders of `assignments` (read-only)."""
    folders = tuple(dict.fromkeys([*settings.data_folders, *(str(a.data_folder) for a in assignments if a.data_folder)]))
    return replace(settings, data_folders=folders)


def kernel_settings(settings: ExecuteSettings, assignments: list[Assignment]) -> ExecuteSettings:
    """`settings` for kernels that run notebooks of `assignments`: their data folders and their pinned packages.

    Every command that executes notebooks (grade, check, validate, calibrate; pool and Dask workers get the
    result) goes through here, so they all run in the same environment.
    """
    return with_kernel_pins(with_data_folders(settings, assignments), assignments)


def with_kernel_pins(settings: ExecuteSettings, assignments: list[Assignment]) -> ExecuteSettings:
    """`settings` whose kernels run in the environment the `[environment]` specifiers of `assignments` ask for.

    A batch's kernels share one supply, so they share one environment: two assignments that pin the
    same package differently are refused (grade them one at a time with --assignment).
    """
    pins: dict[str, tuple[str, str]] = {}
    for assignment in assignments:
        for package, specifier in assignment.kernel_pins():
            other = pins.setdefault(package, (specifier, assignment.id))
            if other[0] != specifier:
                raise AssignmentError(
                    f"{assignment.id} needs {package} {specifier} in the kernel but {other[1]} needs {package} {other[0]}: "
                    "grade them one at a time (--assignment ID)"
                )
    return replace(settings, kernel_pins=tuple(sorted((package, pin[0]) for package, pin in pins.items())))


def environment_differences(assignment: Assignment, versions: dict[str, str]) -> list[str]:
    """A sentence for each package whose installed version differs from the one the course uses
    (`[environment]` in assignment.toml; "1.2" matches 1.2 and 1.2.x; a specifier must contain it)."""
    from packaging.specifiers import SpecifierSet  # here: the student package loads this module without it

    notes = []
    for package, wanted in sorted(assignment.environment.items()):
        installed = versions.get(package, "")
        if is_version_specifier(wanted):
            # the kernel reports the versions of the packages notebooks commonly import (its helper's list)
            if installed and not SpecifierSet(wanted).contains(installed, prereleases=True):
                notes.append(f"the course needs {package} {wanted}; the grading kernel has {installed}")
        elif installed != wanted and not installed.startswith(wanted + "."):
            found = installed or "not installed"
            notes.append(
                f"the course uses {package} {wanted}; the grading kernel has {found}: "
                "a notebook written for the course's version may fail here for that reason alone"
            )
    return notes
