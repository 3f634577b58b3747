"""What a flood keeps: whole progress lines, the stream's ends, and stderr counted (grader/execute/floods.py)."""

import re

from grader.execute.floods import KEEP_LINES, STDERR_KEPT, Overflow, StderrTally, truncate

EPOCHS = "".join(f"Epoch: {e} | Loss: 0.{e:04d}\n" for e in range(0, 1000, 10))


def _epochs(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"epoch\D{0,3}?(\d+)", text, flags=re.I)]  # as the moons spec reads them


def test_truncation_cuts_between_lines_so_no_epoch_is_misread():
    text = "noise line\n" * 3000 + EPOCHS + "noise line\n" * 3000
    for budget in (999, 1000, 1001, 1234, 20_000):
        read = _epochs(truncate(text, budget, keep=KEEP_LINES))
        assert read == list(range(0, 10 * len(read), 10)), budget  # whole lines only: none misread
        assert len(read) == 100 or budget < 20_000
        kept = truncate(text, budget, keep=KEEP_LINES)
        assert "characters cut by the grader, matching lines kept" in kept


def test_truncation_head_and_tail_start_and_end_on_lines():
    text = "".join(f"Epoch: {e}\n" for e in range(5000))
    kept = truncate(text, 1001)  # no lines kept from the middle: only the ends
    head, tail = kept.split("\n... [")[0], kept.split("] ...\n")[-1]
    assert head.splitlines()[-1] == "Epoch: " + str(len(head.splitlines()) - 1)
    assert tail.splitlines()[0].startswith("Epoch: ") and tail.endswith("Epoch: 4999\n")


def test_overflow_keeps_progress_lines_split_across_messages():
    overflow = Overflow()
    text = "step\n" * 50_000 + EPOCHS + "step\n" * 50_000
    for start in range(0, len(text), 997):  # messages end anywhere, mid-line included
        overflow.take(text[start : start + 997])
    summary = overflow.summary()
    kept = summary.split("[grader: the end of the output]")[0]
    assert _epochs(kept) == list(range(0, 1000, 10))
    assert summary.endswith("step\n") and f"{len(text)} characters of output" in summary


def test_warnings_are_counted_by_category_and_message_not_stored():
    tally = StderrTally()
    shown = ""
    for i in range(30_000):
        shown += tally.take(f"/tmp/ipykernel_7/1.py:4: UserWarning: deprecated (call {i % 3})\n  warnings.warn(\n")
    shown += tally.take("WARNING:root:learning rate 0.5 may be too high\n" * 10)
    shown += tally.take("/tmp/x.py:9: DeprecationWarning: old")  # the last line, without its newline
    summary = tally.summary()
    assert summary.startswith("30,001 warnings, 4 distinct: UserWarning: deprecated (call 0) (×10,000)")
    assert "DeprecationWarning: old (×1)" in summary
    assert "10 logged records, 1 distinct: WARNING:root: learning rate 0.5 may be too high (×10)" in summary
    assert f"characters on stderr (the first {len(shown):,} kept)" in summary
    assert len(shown) <= STDERR_KEPT and shown.endswith("\n")


def test_plain_stderr_says_nothing_until_it_floods():
    tally = StderrTally()
    tally.take("a progress bar 10%\r")
    assert tally.summary() == ""
    tally.take("E" * 99_999 + "\n")
    assert tally.summary() == "100,019 characters on stderr (the first 19 kept)"
