"""The statutory clock: due dates counted by hand around month ends, leap days and year ends, and each overdue state."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from geo import statutory
from geo.errors import InvalidInput
from geo.statutory import RULES, acceptance_due, clock, handling_due

D = date


def test_the_day_counts_are_the_regulations():
    assert (statutory.ACCEPTANCE_DAYS, statutory.HANDLING_DAYS, statutory.MAX_EXTENSION_DAYS,
            statutory.REVIEW_DAYS, statutory.RE_REVIEW_DAYS) == (15, 60, 30, 30, 30)
    assert {key: rule.days for key, rule in RULES.items()} == {
        "acceptance": 15, "handling": 60, "extension": 30, "review": 30, "re_review": 30}
    assert all(key == rule.key for key, rule in RULES.items())
    assert RULES["handling"].article == "《信访工作条例》第三十四条"
    assert RULES["review"].article == "《信访工作条例》第三十五条"
    assert RULES["re_review"].article == "《信访工作条例》第三十六条"
    assert RULES["acceptance"].article.startswith("《信访工作条例》第二十二条")
    assert all(rule.label and rule.note for rule in RULES.values())


@pytest.mark.parametrize("received, due", [
    (D(2024, 1, 1), D(2024, 1, 16)),
    (D(2024, 1, 31), D(2024, 2, 15)),    # across a month end
    (D(2024, 2, 14), D(2024, 2, 29)),    # lands on the leap day
    (D(2023, 2, 14), D(2023, 3, 1)),     # no 29 February in 2023
    (D(2024, 2, 29), D(2024, 3, 15)),    # from the leap day
    (D(2023, 12, 20), D(2024, 1, 4)),    # across the year end
    (D(2024, 12, 31), D(2025, 1, 15)),
])
def test_acceptance_due(received, due):
    assert acceptance_due(received) == due


@pytest.mark.parametrize("accepted, extension, due", [
    (D(2024, 1, 1), 0, D(2024, 3, 1)),     # Jan 31 days + Feb 29 days = 60
    (D(2023, 1, 1), 0, D(2023, 3, 2)),     # Feb has 28 days: one day later in the calendar
    (D(2024, 1, 1), 30, D(2024, 3, 31)),
    (D(2023, 12, 31), 0, D(2024, 2, 29)),  # across the year end onto the leap day
    (D(2023, 11, 15), 0, D(2024, 1, 14)),
    (D(2023, 11, 15), 30, D(2024, 2, 13)),
    (D(2024, 12, 31), 30, D(2025, 3, 31)),  # 31 + 28 + 31 = 90
    (D(2024, 1, 31), 0, D(2024, 3, 31)),   # 29 days to 02-29, 31 more to 03-31
    (D(2024, 1, 31), 1, D(2024, 4, 1)),    # one day's extension crosses the month end
    (D(2024, 1, 31), np.int64(29), D(2024, 4, 29)),  # a count read from a frame is accepted too
])
def test_handling_due(accepted, extension, due):
    assert handling_due(accepted, extension) == due


def test_handling_due_defaults_to_no_extension():
    assert handling_due(D(2024, 1, 1)) == D(2024, 3, 1)


@pytest.mark.parametrize("extension", [31, -1, 90, 1.5, "30", True, None])
def test_extension_outside_0_to_30_is_refused(extension):
    with pytest.raises(InvalidInput, match="延长办理期限"):
        handling_due(D(2024, 1, 1), extension)


def test_clock_refuses_an_invalid_extension_once_accepted():
    with pytest.raises(InvalidInput, match="0 至 30"):
        clock(D(2024, 1, 10), D(2024, 1, 12), 31, None, D(2024, 2, 1))


# Received 2024-01-10: acceptance due 01-25. Accepted 01-20: handling due 03-20 (11 + 29 + 20 = 60 days),
# with 30 days' extension 04-19. Accepted 01-25: due 03-25; accepted 01-26: due 03-26.
R = D(2024, 1, 10)


@pytest.mark.parametrize("accepted, extension, closed, today, expected", [
    # Not yet decided: on the due day it is not late (0 days left) …
    (None, 0, None, D(2024, 1, 25), (D(2024, 1, 25), None, False, False, 0)),
    # … the next day it is (−1).
    (None, 0, None, D(2024, 1, 26), (D(2024, 1, 25), None, True, False, -1)),
    (None, 0, None, D(2024, 1, 10), (D(2024, 1, 25), None, False, False, 15)),
    # Accepted on the due day: in time; the next deadline is handling's, 53 days from 02-01.
    (D(2024, 1, 25), 0, None, D(2024, 2, 1), (D(2024, 1, 25), D(2024, 3, 25), False, False, 53)),
    # Accepted a day late: late for good, whatever today is.
    (D(2024, 1, 26), 0, None, D(2024, 2, 1), (D(2024, 1, 25), D(2024, 3, 26), True, False, 54)),
    # Closed on the handling due day: in time, nothing left open.
    (D(2024, 1, 20), 0, D(2024, 3, 20), D(2024, 4, 1), (D(2024, 1, 25), D(2024, 3, 20), False, False, None)),
    # Closed a day after: late.
    (D(2024, 1, 20), 0, D(2024, 3, 21), D(2024, 4, 1), (D(2024, 1, 25), D(2024, 3, 20), False, True, None)),
    # The same day with the 30-day extension recorded: in time.
    (D(2024, 1, 20), 30, D(2024, 3, 21), D(2024, 4, 1), (D(2024, 1, 25), D(2024, 4, 19), False, False, None)),
    # Still open a day past the due day.
    (D(2024, 1, 20), 0, None, D(2024, 3, 21), (D(2024, 1, 25), D(2024, 3, 20), False, True, -1)),
    # Open on the extended due day: not yet late.
    (D(2024, 1, 20), 30, None, D(2024, 4, 19), (D(2024, 1, 25), D(2024, 4, 19), False, False, 0)),
    (D(2024, 1, 20), 30, None, D(2024, 4, 20), (D(2024, 1, 25), D(2024, 4, 19), False, True, -1)),
    # Closed without acceptance (不予受理) on 01-30: the decision came late; no handling clock.
    (None, 0, D(2024, 1, 30), D(2024, 3, 1), (D(2024, 1, 25), None, True, False, None)),
    (None, 0, D(2024, 1, 24), D(2024, 3, 1), (D(2024, 1, 25), None, False, False, None)),
    # As of a past day, later events have not happened: closed 03-25 (late) but on 03-10 it is open, 10 days left.
    (D(2024, 1, 20), 0, D(2024, 3, 25), D(2024, 3, 10), (D(2024, 1, 25), D(2024, 3, 20), False, False, 10)),
    # Accepted 02-01 (late), seen on 01-20: undecided, 5 days left, no handling due yet …
    (D(2024, 2, 1), 0, None, D(2024, 1, 20), (D(2024, 1, 25), None, False, False, 5)),
    # … seen on 01-30: undecided and past due.
    (D(2024, 2, 1), 0, None, D(2024, 1, 30), (D(2024, 1, 25), None, True, False, -5)),
])
def test_clock(accepted, extension, closed, today, expected):
    got = clock(R, accepted, extension, closed, today)
    keys = ("acceptance_due", "handling_due", "acceptance_overdue", "handling_overdue", "days_left")
    assert set(got) == set(keys)
    assert tuple(got[key] for key in keys) == expected
    assert all(isinstance(got[key], bool) for key in ("acceptance_overdue", "handling_overdue"))


def test_clock_across_a_year_end_and_a_leap_day():
    # Received 2023-12-20: acceptance due 2024-01-04; accepted 2023-12-31: handling due 2024-02-29.
    got = clock(D(2023, 12, 20), D(2023, 12, 31), 0, None, D(2024, 2, 29))
    assert (got["acceptance_due"], got["handling_due"], got["handling_overdue"], got["days_left"]) == \
        (D(2024, 1, 4), D(2024, 2, 29), False, 0)
    assert clock(D(2023, 12, 20), D(2023, 12, 31), 0, None, D(2024, 3, 1))["handling_overdue"] is True
