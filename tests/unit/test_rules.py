from datetime import date

import pytest

from cetr_bot.domain import ReviewStatus, ReviewType, Role, Setting
from cetr_bot.rules import (
    PastReview,
    Policy,
    YoungPersonFacts,
    add_months,
    age_on,
    check_review,
    commissioner_body,
    next_review_due,
    required_roles,
)

POLICY = Policy()
INPATIENT = YoungPersonFacts(date(2012, 6, 1), Setting.INPATIENT, date(2026, 11, 1))
COMMUNITY = YoungPersonFacts(date(2012, 6, 1), Setting.COMMUNITY, None)


def codes(warnings):
    return [w.code for w in warnings]


def past(id, type, on, status=ReviewStatus.HELD):
    return PastReview(id, type, on, status)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_age_counts_whole_years_around_the_birthday():
    assert age_on(date(2008, 12, 3), date(2026, 12, 2)) == 17
    assert age_on(date(2008, 12, 3), date(2026, 12, 3)) == 18


def test_required_roles_are_commissioner_clinician_and_panel():
    for kind in ReviewType:
        assert set(required_roles(kind)) == {
            Role.COMMISSIONER,
            Role.CLINICIAN,
            Role.PANEL_CHAIR,
            Role.CLINICAL_ADVISER,
            Role.EXPERT_BY_EXPERIENCE,
        }


def test_commissioner_is_icb_for_community_and_nhse_otherwise():
    assert commissioner_body(ReviewType.COMMUNITY) == "icb"
    assert commissioner_body(ReviewType.POST_ADMISSION) == "nhse"
    assert commissioner_body(ReviewType.INPATIENT) == "nhse"


def test_post_admission_on_time_without_prior_community_review_has_no_rule_warning():
    warnings = check_review(
        review_type=ReviewType.POST_ADMISSION,
        on=date(2026, 11, 14),
        person=INPATIENT,
        history=[],
        policy=POLICY,
    )
    assert codes(warnings) == ["suggest_transitions"]


def test_post_admission_due_within_14_days_of_admission():
    warnings = check_review(
        review_type=ReviewType.POST_ADMISSION,
        on=date(2026, 11, 16),
        person=INPATIENT,
        history=[],
        policy=POLICY,
    )
    late = [w for w in warnings if w.code == "post_admission_late"]
    assert late and late[0].params["due"] == date(2026, 11, 15)


def test_post_admission_due_days_are_configurable():
    warnings = check_review(
        review_type=ReviewType.POST_ADMISSION,
        on=date(2026, 11, 10),
        person=INPATIENT,
        history=[],
        policy=Policy(post_admission_due_days=7),
    )
    assert "post_admission_late" in codes(warnings)


def test_post_admission_warns_when_a_community_cetr_preceded_admission():
    history = [past(1, ReviewType.COMMUNITY, date(2026, 10, 20))]
    warnings = check_review(
        review_type=ReviewType.POST_ADMISSION,
        on=date(2026, 11, 10),
        person=INPATIENT,
        history=history,
        policy=POLICY,
    )
    assert "community_preceded_admission" in codes(warnings)


def test_cancelled_community_review_does_not_count_as_preceding():
    history = [past(1, ReviewType.COMMUNITY, date(2026, 10, 20), ReviewStatus.CANCELLED)]
    warnings = check_review(
        review_type=ReviewType.POST_ADMISSION,
        on=date(2026, 11, 10),
        person=INPATIENT,
        history=history,
        policy=POLICY,
    )
    assert "community_preceded_admission" not in codes(warnings)


def test_post_admission_for_someone_not_in_hospital_is_a_warning():
    warnings = check_review(
        review_type=ReviewType.POST_ADMISSION,
        on=date(2026, 12, 10),
        person=COMMUNITY,
        history=[],
        policy=POLICY,
    )
    assert codes(warnings)[-1] == "post_admission_not_admitted"


def test_inpatient_review_due_three_months_after_the_last():
    history = [past(1, ReviewType.POST_ADMISSION, date(2026, 11, 10))]
    on_time = check_review(
        review_type=ReviewType.INPATIENT,
        on=date(2027, 2, 10),
        person=INPATIENT,
        history=history,
        policy=POLICY,
    )
    late = check_review(
        review_type=ReviewType.INPATIENT,
        on=date(2027, 2, 11),
        person=INPATIENT,
        history=history,
        policy=POLICY,
    )
    assert "inpatient_late" not in codes(on_time)
    assert [w.params["due"] for w in late if w.code == "inpatient_late"] == [date(2027, 2, 10)]


def test_review_being_edited_is_not_its_own_history():
    history = [past(7, ReviewType.INPATIENT, date(2027, 1, 5), ReviewStatus.SCHEDULED)]
    warnings = check_review(
        review_type=ReviewType.INPATIENT,
        on=date(2027, 1, 20),
        person=INPATIENT,
        history=history,
        policy=POLICY,
        review_id=7,
    )
    assert "inpatient_without_previous" in codes(warnings)


def test_transitions_suggested_from_14_and_adult_ctr_from_18():
    def age_codes(dob):
        person = YoungPersonFacts(dob, Setting.COMMUNITY, None)
        return codes(
            check_review(
                review_type=ReviewType.COMMUNITY,
                on=date(2026, 12, 1),
                person=person,
                history=[],
                policy=POLICY,
            )
        )

    assert age_codes(date(2013, 12, 2)) == []
    assert age_codes(date(2012, 12, 1)) == ["suggest_transitions"]
    assert age_codes(date(2008, 12, 1)) == ["adult_ctr"]


def test_community_review_for_an_inpatient_is_flagged():
    warnings = check_review(
        review_type=ReviewType.COMMUNITY,
        on=date(2026, 12, 1),
        person=INPATIENT,
        history=[],
        policy=POLICY,
    )
    assert "community_while_inpatient" in codes(warnings)


def test_missing_date_of_birth_is_a_warning_not_a_crash():
    person = YoungPersonFacts(None, Setting.INPATIENT, None)
    for kind in ReviewType:
        result = check_review(
            review_type=kind, on=date(2026, 12, 1), person=person, history=[], policy=POLICY
        )
        assert "no_date_of_birth" in codes(result)


def test_next_review_due_after_admission_then_every_three_months():
    assert next_review_due(person=INPATIENT, history=[], policy=POLICY) == (
        ReviewType.POST_ADMISSION,
        date(2026, 11, 15),
    )
    history = [past(1, ReviewType.POST_ADMISSION, date(2026, 11, 12))]
    assert next_review_due(person=INPATIENT, history=history, policy=POLICY) == (
        ReviewType.INPATIENT,
        date(2027, 2, 12),
    )
    assert next_review_due(person=COMMUNITY, history=[], policy=POLICY) is None
