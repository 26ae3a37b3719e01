"""The register's rules: every trigger and cadence, on plain values."""

from datetime import date

from cetr_bot import dsr_rules as dr
from cetr_bot.domain import Rag, RecordedType
from cetr_bot.rules import Policy

P = dr.DsrPolicy()
RP = Policy()
MON = date(2026, 11, 23)  # a Monday


def test_add_working_days_skips_weekends():
    assert dr.add_working_days(MON, 10) == date(2026, 12, 7)
    assert dr.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon


def test_rating_review_cadence_per_colour():
    assert dr.next_rating_review(Rag.RED, MON, P) == date(2026, 11, 30)
    assert dr.next_rating_review(Rag.AMBER, MON, P) == date(2026, 12, 23)
    assert dr.next_rating_review(Rag.GREEN, MON, P) == date(2027, 2, 23)
    assert dr.next_rating_review(Rag.BLUE, MON, P) is None
    inpatient = date(2027, 1, 5)
    assert dr.next_rating_review(Rag.BLUE, MON, P, next_inpatient_cetr=inpatient) == inpatient
    custom = dr.DsrPolicy(red_review_days=3)
    assert dr.next_rating_review(Rag.RED, MON, custom) == date(2026, 11, 26)


def test_red_and_amber_make_a_community_cetr_due():
    assert dr.community_cetr_due(Rag.RED, MON, P) == date(2026, 12, 7)  # 10 working days
    assert dr.community_cetr_due(Rag.AMBER, MON, P) == date(2026, 12, 21)  # 28 days
    assert dr.community_cetr_due(Rag.GREEN, MON, P) is None
    assert dr.community_cetr_due(Rag.BLUE, MON, P) is None
    assert dr.community_cetr_due(Rag.AMBER, MON, dr.DsrPolicy(amber_cetr_days=14)) == date(
        2026, 12, 7
    )


def test_amber_to_red_brings_the_date_forward_never_later():
    amber_due = dr.community_cetr_due(Rag.AMBER, MON, P)
    later = date(2026, 12, 1)
    assert dr.flag_for_change(Rag.AMBER, Rag.RED, later, amber_due, P) == date(2026, 12, 15)
    # Red due 7 Dec; turning amber keeps the earlier date.
    red_due = dr.community_cetr_due(Rag.RED, MON, P)
    assert dr.flag_for_change(Rag.RED, Rag.AMBER, MON, red_due, P) == red_due
    assert dr.flag_for_change(Rag.RED, Rag.GREEN, MON, red_due, P) is None
    assert dr.flag_for_change(None, Rag.RED, MON, None, P) == red_due


def test_chase_dates_until_due_then_a_few_after():
    dates = dr.cetr_chase_dates(MON, date(2026, 12, 7), P)
    assert dates[0] == MON and date(2026, 12, 7) in dates
    after = [d for d in dates if d > date(2026, 12, 7)]
    assert len(after) == P.cetr_max_chases and after[0] == date(2026, 12, 10)
    assert all(
        (b - a).days <= P.cetr_chase_every_days for a, b in zip(dates, dates[1:], strict=False)
    )


def test_a_community_cetr_or_laep_meeting_settles_the_flag():
    assert dr.settled_by([], MON) is None
    older = dr.Check(RecordedType.COMMUNITY, date(2026, 11, 1))
    assert dr.settled_by([older], MON) is None
    laep = dr.Check(RecordedType.LAEP, date(2026, 11, 25))
    assert dr.settled_by([older, laep], MON) == laep
    inpatient = dr.Check(RecordedType.INPATIENT, date(2026, 11, 25))
    assert dr.settled_by([inpatient], MON) is None


def test_admission_without_a_check_in_six_months_needs_a_post_admission_cetr():
    admitted = date(2026, 12, 10)
    outcome = dr.on_admission(admitted, [], P, RP)
    assert outcome == dr.AdmissionOutcome(Rag.BLUE, True, date(2026, 12, 24))
    stale = [dr.Check(RecordedType.COMMUNITY, date(2026, 6, 9))]  # > 6 months before
    assert dr.on_admission(admitted, stale, P, RP).without_community_cetr
    recent = [dr.Check(RecordedType.COMMUNITY, date(2026, 6, 10))]
    assert dr.on_admission(admitted, recent, P, RP) == dr.AdmissionOutcome(Rag.BLUE, False, None)
    laep = [dr.Check(RecordedType.LAEP, admitted)]
    assert not dr.on_admission(admitted, laep, P, RP).without_community_cetr
    short = dr.DsrPolicy(pre_admission_window_months=1)
    assert dr.on_admission(admitted, recent, short, RP).without_community_cetr
    assert dr.on_admission(
        admitted, [], P, Policy(post_admission_due_days=7)
    ).post_admission_due == (date(2026, 12, 17))


def test_in_hospital_an_inpatient_cetr_every_three_months():
    admitted = date(2026, 12, 10)
    assert dr.next_inpatient_cetr(admitted, [], P, RP) == (
        RecordedType.POST_ADMISSION,
        date(2026, 12, 24),
    )
    post = dr.Check(RecordedType.POST_ADMISSION, date(2026, 12, 20))
    assert dr.next_inpatient_cetr(admitted, [post], P, RP) == (
        RecordedType.INPATIENT,
        date(2027, 3, 20),
    )
    second = dr.Check(RecordedType.INPATIENT, date(2027, 3, 18))
    assert dr.next_inpatient_cetr(admitted, [post, second], P, RP)[1] == date(2027, 6, 18)
    before = dr.Check(RecordedType.COMMUNITY, date(2026, 12, 1))
    assert dr.next_inpatient_cetr(admitted, [before], P, RP) == (
        RecordedType.INPATIENT,
        date(2027, 3, 1),
    )


def test_out_of_area_visit_every_six_weeks():
    admitted = date(2026, 12, 10)
    assert dr.next_visit(admitted, admitted, P) == date(2027, 1, 21)
    assert dr.next_visit(admitted, date(2027, 1, 22), P) == date(2027, 3, 4)
    assert dr.next_visit(admitted, admitted, dr.DsrPolicy(out_of_area_visit_weeks=8)) == date(
        2027, 2, 4
    )


def test_discharge_back_to_a_colour_with_an_early_review():
    assert dr.on_discharge(Rag.GREEN, MON, P) == (Rag.GREEN, date(2026, 12, 7))
    assert dr.on_discharge(Rag.BLUE, MON, P)[0] is Rag.AMBER  # never blue out of hospital
    assert dr.on_discharge(Rag.RED, MON, dr.DsrPolicy(discharge_review_days=7))[1] == date(
        2026, 11, 30
    )


def test_approaching_eighteen_and_transitions_from_fourteen():
    dob = date(2009, 5, 10)
    assert dr.adult_warning_on(dob, P, RP) == date(2026, 11, 10)
    codes = [w.code for w in dr.age_warnings(dob, MON, P, RP)]
    assert codes == ["dsr_adult_soon", "suggest_transitions"]
    assert [w.code for w in dr.age_warnings(dob, date(2026, 11, 9), P, RP)] == [
        "suggest_transitions"
    ]
    assert [w.code for w in dr.age_warnings(date(2012, 3, 14), MON, P, RP)] == [
        "suggest_transitions"
    ]
    assert dr.age_warnings(date(2014, 3, 14), MON, P, RP) == []
    assert [w.code for w in dr.age_warnings(date(2008, 1, 1), MON, P, RP)] == ["adult_ctr"]
    assert [w.code for w in dr.age_warnings(None, MON, P, RP)] == ["no_date_of_birth"]


def test_month_summary_counts_and_the_ninety_percent_standard():
    entries = [
        dr.EntryFacts(Rag.RED, date(2026, 11, 20), True),
        dr.EntryFacts(Rag.AMBER, date(2026, 12, 21), True),
        dr.EntryFacts(Rag.AMBER, date(2026, 11, 25), False),
        dr.EntryFacts(Rag.BLUE, None, False),
    ]
    admissions = [
        dr.AdmissionFacts(date(2026, 11, 3), True),
        dr.AdmissionFacts(date(2026, 11, 9), False),
        dr.AdmissionFacts(date(2026, 10, 9), False),
    ]
    s = dr.month_summary("2026-11", entries, admissions, MON)
    assert s.by_colour == {"red": 1, "amber": 2, "green": 0, "blue": 1}
    assert (s.cetrs_due, s.cetrs_overdue) == (1, 1)
    assert (s.admissions_with, s.admissions_without, s.percent_with) == (1, 1, 50)
    assert s.meets_standard is False
    assert dr.month_summary("2026-12", [], [], MON).percent_with is None
    assert dr.month_bounds("2027-02") == (date(2027, 2, 1), date(2027, 2, 28))
