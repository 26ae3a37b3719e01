"""The button codecs: what pack() makes, parse() reads back; anything else is stale."""

import pytest

from cetr_bot.domain import Role
from cetr_bot.notifications import callbacks as cb
from cetr_bot.services.errors import Invalid

SAMPLES = [
    (cb.Rsvp(12, "p"), "at:12:p"),
    (cb.Rsvp(3, "s"), "at:3:s"),
    (cb.FeedbackAnswer(7, "how_it_went", "1"), "fb:7:how_it_went:1"),
    (cb.ApproveDeputy(41), "ap:41"),
    (cb.SendFeedback(5), "yf:5:send"),
    (cb.AskFeedback(), "yq:ask"),
    (cb.NewReview("type", "community"), "nr:type:community"),
    (cb.NewReview("confirm", "yes"), "nr:confirm:yes"),
    (cb.ShowReview(9), "rv:9"),
    (cb.Reschedule(9), "rs:9"),
    (cb.Invite(9), "inv:9"),
    (cb.Invite(9, Role.FAMILY), "inv:9:family"),
    (cb.CancelReview(9), "cx:9"),
    (cb.CancelReview(9, "yes"), "cx:9:yes"),
    (cb.CancelReview(9, "no"), "cx:9:no"),
    (cb.ActionOwner(4, "d", 2), "ao:4:d:2"),
]


@pytest.mark.parametrize(("value", "data"), SAMPLES)
def test_pack_makes_the_exact_data_and_parse_reads_it_back(value, data):
    assert value.pack() == data
    assert type(value).parse(data) == value


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (cb.Rsvp, "at:1"),
        (cb.Rsvp, "at:abc:p"),
        (cb.Rsvp, "at:²:p"),
        (cb.Rsvp, "at:1:in_person"),
        (cb.Rsvp, "at:1:p:extra"),
        (cb.Rsvp, "ao:1:p"),
        (cb.Rsvp, ""),
        (cb.FeedbackAnswer, "fb:²:q:v"),
        (cb.FeedbackAnswer, "fb:1:q"),
        (cb.ApproveDeputy, "ap:²"),
        (cb.ApproveDeputy, "ap:1:2"),
        (cb.SendFeedback, "yf:1:keep"),
        (cb.SendFeedback, "yf:x:send"),
        (cb.AskFeedback, "yq"),
        (cb.NewReview, "nr:type"),
        (cb.ShowReview, "rv"),
        (cb.ShowReview, "rv:1:2"),
        (cb.Reschedule, "rs:-1"),
        (cb.Invite, "inv:1:wizard"),
        (cb.Invite, "inv:abc"),
        (cb.CancelReview, "cx:abc"),
        (cb.CancelReview, "cx:1:maybe"),
        (cb.CancelReview, "cx:1:yes:extra"),
        (cb.ActionOwner, "ao:1:done:0"),
        (cb.ActionOwner, "ao:²:d:1"),
        (cb.ActionOwner, "ao:1:d:²"),
        (cb.ActionOwner, "ao:1:d"),
    ],
)
def test_malformed_data_is_a_stale_button(codec, data):
    with pytest.raises(Invalid) as raised:
        codec.parse(data)
    assert raised.value.key == "stale_button"


def test_ids_may_carry_the_prefixes_people_type():
    assert cb.ApproveDeputy.parse("ap:P12").participant_id == 12
    assert cb.ShowReview.parse("rv:#3").review_id == 3
    assert cb.ActionOwner.parse("ao:A4:d:1").action_id == 4


def test_a_press_to_ask_a_question_back_needs_only_its_prefix():
    assert cb.AskFeedback.parse("yq:5") == cb.AskFeedback()


def test_nothing_over_telegrams_64_bytes_is_made():
    fits = cb.FeedbackAnswer(1, "q" * (64 - len("fb:1::v")), "v")
    assert len(fits.pack().encode()) == 64
    with pytest.raises(ValueError, match="64 bytes"):
        cb.FeedbackAnswer(1, "q" * 64, "v").pack()
    with pytest.raises(ValueError, match="64 bytes"):
        cb.NewReview("team", "é" * 30).pack()  # bytes, not characters


def test_every_pick_makes_its_own_prefix():
    assert {key: make(8).pack() for key, make in cb.PICKS.items()} == {
        "rv": "rv:8",
        "rs": "rs:8",
        "inv": "inv:8",
        "cx": "cx:8",
    }
