"""The policy as a pure function, the page buttons it makes, and the sandbox playing
Telegram's rules for Mini App buttons."""

from __future__ import annotations

import pytest

from cetr_bot.config import Settings
from cetr_bot.notifications import keyboards
from cetr_bot.notifications.delivery_policy import Content, deliver, mini_app_allowed
from cetr_bot.sandbox.errors import ApiError
from cetr_bot.sandbox.markup import validate_reply_markup
from cetr_bot.text import Texts
from tests.policy.helpers import WEB


def _settings(**extra: object) -> Settings:
    return Settings(_env_file=None, bot_token="1:x", **extra)  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize(
    ("content", "path"),
    [
        (Content.PACK, "/app/reviews/7/pack"),
        (Content.REVIEW, "/app/reviews/7"),
        (Content.FLAG, "/app/reviews/7/flags"),
        (Content.ANSWERS, "/app/reviews/7/answers"),
        (Content.FEEDBACK, "/app/reviews/7/feedback"),
    ],
)
def test_each_content_links_to_its_page_or_is_sent_protected(content, path):
    via = deliver(_settings(web_base_url=WEB + "/"), content, 7)
    assert via.as_link and via.url == WEB + path and via.protect_content
    local = deliver(_settings(), content, 7)
    assert not local.as_link and local.url is None and local.protect_content


def test_mini_app_only_in_private_chats_over_https():
    texts = Texts(_settings().zone)
    secure = keyboards.page_button(texts, Content.PACK, WEB + "/app/reviews/1/pack")
    assert secure.web_app is not None and secure.url is None
    group = keyboards.page_button(texts, Content.PACK, WEB + "/x", private_chat=False)
    assert group.web_app is None and group.url == WEB + "/x"
    local = keyboards.page_button(texts, Content.PACK, "http://127.0.0.1:8080/x")
    assert local.web_app is None and local.url == "http://127.0.0.1:8080/x"
    assert not mini_app_allowed("http://example.org", private_chat=True)
    easy = keyboards.page_button(texts, Content.ANSWERS, WEB, easy=True)
    assert easy.text == "👀 See my answers"


def test_sandbox_refuses_a_mini_app_button_without_https():
    ok = {"inline_keyboard": [[{"text": "Open", "web_app": {"url": WEB}}]]}
    assert validate_reply_markup(ok) == ok
    with pytest.raises(ApiError, match="Only HTTPS links are allowed"):
        validate_reply_markup(
            {"inline_keyboard": [[{"text": "Open", "web_app": {"url": "http://a.b"}}]]}
        )


async def test_sandbox_refuses_a_mini_app_button_in_a_group(sandbox, client):
    import httpx

    sandbox.add_group(-100123)
    markup = {"inline_keyboard": [[{"text": "Open", "web_app": {"url": WEB}}]]}
    async with httpx.AsyncClient(trust_env=False) as http:
        sent = await http.post(
            f"{sandbox.url}/bot{sandbox.token}/sendMessage",
            json={"chat_id": -100123, "text": "hi", "reply_markup": markup},
        )
        assert sent.status_code == 400 and "BUTTON_TYPE_INVALID" in sent.text
        kept = await http.post(
            f"{sandbox.url}/bot{sandbox.token}/sendMessage",
            json={"chat_id": -100123, "text": "hi", "protect_content": True},
        )
    assert kept.json()["result"]["has_protected_content"] is True
    assert sandbox.chat_messages(-100123)[-1]["protect_content"] is True
