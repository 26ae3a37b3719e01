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
    (cb.DecideDataRequest(7, "yes"), "dq:7:yes"),
    (cb.DecideDataRequest(8, "no"), "dq:8:no"),
    (cb.SendFeedback(5), "yf:5:send"),
    (cb.AskFeedback(), "yq:ask"),
    (cb.PlainWordsChoice("f", "send"), "pw:f:send"),
    (cb.PlainWordsChoice("a", "simplify"), "pw:a:simplify"),
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
    (cb.ActionMenu(4, "cancel"), "am:4:cancel"),
    (cb.ActionMenu(4, "keep"), "am:4:keep"),
    (cb.ReassignAction(4, 17), "am:4:to:17"),
    (cb.OwnerIsParticipant(17), "ah:p:17"),
    (cb.AskNewOwner(), "ah:new"),
    (cb.NewOwnerRole("social_worker"), "ah:r:social_worker"),
    (cb.StartPreparation(6), "pr:go:6"),
    (cb.PrepareLater(6), "pr:later:6"),
    (cb.StopPreparation(6), "pr:stop:6"),
    (cb.SendAnswers(6), "pr:send:6"),
    (cb.PrepAnswer(6, "about_me", "0"), "pr:a:6:about_me:0"),
    (cb.PrepAnswer(6, "about_me", "n"), "pr:a:6:about_me:n"),
    (cb.ChangeAnswer(6, "about_me"), "pr:ch:6:about_me"),
    (cb.ConsentAnswer(6, "share", "yes", 2), "pr:cs:6:share:yes:2"),
    (cb.ConcernFor(6), "pr:cr:6"),
    (cb.ConcernCategory(6, "rights"), "pr:cc:6:rights"),
    (cb.ReadFlag(3), "pr:rf:3"),
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
        (cb.DecideDataRequest, "dq:7:maybe"),
        (cb.DecideDataRequest, "dq:x:yes"),
        (cb.DecideDataRequest, "dq:7"),
        (cb.ApproveDeputy, "ap:1:2"),
        (cb.SendFeedback, "yf:1:keep"),
        (cb.SendFeedback, "yf:x:send"),
        (cb.AskFeedback, "yq"),
        (cb.PlainWordsChoice, "pw:f"),
        (cb.PlainWordsChoice, "pw:x:send"),
        (cb.PlainWordsChoice, "pw:f:maybe"),
        (cb.PlainWordsChoice, "pw:f:send:1"),
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
        (cb.ActionMenu, "am:1:cancel:0"),
        (cb.ActionMenu, "am:1:delete"),
        (cb.ActionMenu, "am:²:cancel"),
        (cb.ActionMenu, "am:1"),
        (cb.ReassignAction, "am:1:to:²"),
        (cb.ReassignAction, "am:1:from:2"),
        (cb.OwnerIsParticipant, "ah:p:²"),
        (cb.OwnerIsParticipant, "ah:p:1:2"),
        (cb.AskNewOwner, "ah:new:x"),
        (cb.NewOwnerRole, "ah:r"),
        (cb.StartPreparation, "pr:go:²"),
        (cb.StartPreparation, "pr:go:-1"),
        (cb.StartPreparation, "pr:go"),
        (cb.StartPreparation, "pr:go:1:2"),
        (cb.StartPreparation, "pr:stop:1"),
        (cb.PrepAnswer, "pr:a:x:y"),
        (cb.PrepAnswer, "pr:a:1:q"),
        (cb.ChangeAnswer, "pr:ch:1"),
        (cb.ConsentAnswer, "pr:cs:1:share:yes"),
        (cb.ConsentAnswer, "pr:cs:1:share:yes:v2"),
        (cb.ConcernCategory, "pr:cc:²:rights"),
        (cb.ReadFlag, "pr:rf:x"),
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


@pytest.mark.parametrize(
    ("parse", "data"),
    [
        (cb.parse_prep, "pr"),
        (cb.parse_prep, "pr:"),
        (cb.parse_prep, "pr:zz:1"),
        (cb.parse_prep, "pr:ans:2:0"),
        (cb.parse_prep, "x"),
        (cb.parse_owner_pick, "ah"),
        (cb.parse_owner_pick, "ah:q:1"),
        (cb.parse_action_menu, "am:1:to"),
        (cb.parse_action_menu, "am:1:to:2:3"),
        (cb.ActionMenu.action_of, "am:1"),
        (cb.ActionMenu.action_of, "am:x:cancel"),
        (cb.ActionMenu.action_of, "ao:1:cancel"),
    ],
)
def test_a_kind_we_never_make_is_a_stale_button(parse, data):
    with pytest.raises(Invalid) as raised:
        parse(data)
    assert raised.value.key == "stale_button"


def test_each_press_is_read_by_its_own_kind():
    assert cb.parse_prep("pr:go:5") == cb.StartPreparation(5)
    assert cb.parse_prep("pr:cs:5:share:no:1") == cb.ConsentAnswer(5, "share", "no", 1)
    assert cb.parse_prep("pr:rf:9") == cb.ReadFlag(9)
    assert cb.parse_owner_pick("ah:new") == cb.AskNewOwner()
    assert cb.parse_owner_pick("ah:p:#3") == cb.OwnerIsParticipant(3)
    assert cb.parse_owner_pick("ah:r:family") == cb.NewOwnerRole("family")
    assert cb.parse_action_menu("am:A4:yes") == cb.ActionMenu(4, "yes")
    assert cb.parse_action_menu("am:4:to:7") == cb.ReassignAction(4, 7)


def test_the_action_is_read_before_the_rest_of_a_menu_press():
    """The handler looks the action up between the two reads (see manage_button)."""
    assert cb.ActionMenu.action_of("am:4:to:²") == 4
    assert cb.ActionMenu.action_of("am:#4:anything") == 4
