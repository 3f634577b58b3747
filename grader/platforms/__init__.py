"""Grading where courses collect work: packages for Gradescope and PrairieLearn, and what runs inside them.

`bundle.py` builds what both packages carry (the grader's wheel, one assignment's folder with a
derived secret, setup.sh); `isolation.py` picks how the kernel is isolated inside the platform's
container; `uploaded.py` grades the notebook a student uploaded; `gradescope.py` and
`prairielearn.py` write each platform's package and results.
"""
