"""The Django app, in a real Django project (settings and template from docs/django.md)."""

from __future__ import annotations

import io
import os
import re
import select
from typing import Any

import pytest
from tests.simulator import ProviderSimulator

from embedkit import ConfigError, render_html
from embedkit.resolve import parse_ref

pytestmark = pytest.mark.usefixtures("django_project")

WIDGETS = "https://platform.twitter.com/widgets.js"


def script_srcs(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)


def render(source: str, **context: Any) -> str:
    """Render a template string without a request (a batch job, an e-mail)."""
    from django.template import Context, Template

    rendered: str = Template(source).render(Context(context))
    return rendered


def article(**fields: Any) -> Any:
    from tests.contrib.newsroom.models import Article

    return Article.objects.create(title=fields.pop("title", "A story"), **fields)


def test_the_documented_page_embeds_the_tag_and_the_filter(
    client: Any, sim: ProviderSimulator
) -> None:
    body = (
        "<p>Seoul and Tokyo agreed.</p>\n"
        "<p>https://x.com/ndaidong/status/1173592062878314497</p>\n"
        "<p>https://twitter.com/Reuters/status/1636212467429621760</p>\n"
        "<p>See https://x.com/inline/status/1 for more.</p>"
    )
    story = article(body=body, video_url="https://www.youtube.com/watch?v=qQpb1oCernE")
    response = client.get(f"/articles/{story.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'src="https://www.youtube.com/embed/qQpb1oCernE' in page  # {% embed %}
    assert sim.last("/youtube/oembed").query["maxwidth"] == "640"
    assert "Live event: Release Lotus" in page  # |embeds
    assert "LIVE: Japanese Prime Minister Fumio Kishida" in page
    assert "<p>See https://x.com/inline/status/1 for more.</p>" in page  # in running text
    assert script_srcs(page) == [WIDGETS]  # once, for two posts
    assert page.index(WIDGETS) > page.index("LIVE: Japanese")


def test_the_filter_is_render_html_without_the_scripts(sim: ProviderSimulator) -> None:
    from embedkit.contrib.django import get_resolver

    body = "<p>Intro</p>\n<p>https://x.com/ndaidong/status/1173592062878314497</p>\n"
    filtered = render("{% load embedkit %}{{ body|safe|embeds }}", body=body)
    page = render_html(body, get_resolver())
    assert page.startswith(filtered)
    assert (
        page[len(filtered) :].strip() == f'<script async src="{WIDGETS}" charset="utf-8"></script>'
    )


def test_text_that_is_not_marked_safe_is_escaped_before_embedding(sim: ProviderSimulator) -> None:
    text = "<b>Breaking</b>\nhttps://x.com/ndaidong/status/1173592062878314497\n"
    page = render("{% load embedkit %}{{ text|embeds }}{% embed_scripts %}", text=text)
    assert page.startswith("&lt;b&gt;Breaking&lt;/b&gt;\n<figure")
    assert "Live event: Release Lotus" in page
    assert script_srcs(page) == [WIDGETS]


def test_scripts_are_collected_per_render_and_emitted_once(sim: ProviderSimulator) -> None:
    template = (
        "{% load embedkit %}{% embed a %}{% embed b %}{% embed_scripts %}|{% embed_scripts %}"
    )
    urls = {
        "a": "https://x.com/ndaidong/status/1173592062878314497",
        "b": "https://twitter.com/Reuters/status/1636212467429621760",
    }
    for _ in range(2):  # a second render starts its own collection
        first, second = render(template, **urls).split("|")
        assert script_srcs(first) == [WIDGETS]
        assert second == ""


def test_scripts_left_by_the_filter_never_reach_the_next_request(
    client: Any, sim: ProviderSimulator
) -> None:
    """A response that embeds with |embeds but has no {% embed_scripts %} leaves nothing."""
    with_filter_only = article(body="<p>https://x.com/ndaidong/status/1173592062878314497</p>")
    without_embeds = article(body="<p>Nothing to embed.</p>")
    from django.test import override_settings

    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "newsroom/article.html": (
                                "{% load embedkit %}{% if article.views %}"
                                "{% embed_scripts %}{% else %}{{ article.body|safe|embeds }}"
                                "{% endif %}"
                            )
                        },
                    )
                ]
            },
        }
    ]
    without_embeds.views = 1
    without_embeds.save()
    with override_settings(TEMPLATES=templates):
        first = client.get(f"/articles/{with_filter_only.pk}/").content.decode()
        second = client.get(f"/articles/{without_embeds.pk}/").content.decode()
    assert "Live event: Release Lotus" in first
    assert script_srcs(second) == []


def test_invalid_and_empty_references(sim: ProviderSimulator) -> None:
    page = render(
        "{% load embedkit %}[{% embed bad %}][{% embed empty %}]",
        bad="javascript:alert('x')",
        empty="",
    )
    assert page == "[javascript:alert(&#x27;x&#x27;)][]"
    assert sim.count() == 0


def test_embed_scripts_takes_a_nonce(sim: ProviderSimulator) -> None:
    page = render(
        "{% load embedkit %}{% embed url %}{% embed_scripts nonce=nonce %}",
        url="https://x.com/ndaidong/status/1173592062878314497",
        nonce="r4nd0m",
    )
    assert f'<script async src="{WIDGETS}" charset="utf-8" nonce="r4nd0m"></script>' in page


def test_consent_mode_emits_the_static_consent_script_with_its_allow_list(
    sim_env: dict[str, str], sim: ProviderSimulator
) -> None:
    from django.contrib.staticfiles import finders
    from django.test import override_settings

    with override_settings(EMBEDKIT={"consent": True, "env": sim_env}):
        page = render(
            "{% load embedkit %}{{ body|safe|embeds }}{% embed_scripts %}",
            body="<p>https://x.com/ndaidong/status/1173592062878314497</p>",
        )
    assert "data-embedkit-load" in page  # the "load" button
    assert script_srcs(page) == ["/static/embedkit/consent.js"]
    assert 'data-embedkit-allow="[&quot;https://platform.twitter.com/widgets.js&quot;]"' in page
    # The documented STATICFILES_DIRS serves it.
    found = finders.find("embedkit/consent.js")
    assert found is not None
    assert os.path.basename(str(found)) == "consent.js"


def test_the_setting_and_the_environment(sim_env: dict[str, str]) -> None:
    from django.test import override_settings

    from embedkit.contrib.django import get_resolver

    resolver = get_resolver()
    assert resolver is get_resolver()  # one per process
    assert resolver.timeout == 3  # docs/django.md sets it; EMBEDKIT_TIMEOUT=9 is ignored
    assert resolver.cache.url == "memory://"  # EMBEDKIT_CACHE
    assert resolver.allow_private_networks is True  # EMBEDKIT_ALLOW_PRIVATE_NETWORKS
    assert resolver.consent is False
    with override_settings(EMBEDKIT={"env": {**sim_env, "EMBEDKIT_CONSENT": "1"}}):
        changed = get_resolver()
        assert changed is not resolver
        assert changed.consent is True
        assert changed.timeout == 9
    assert get_resolver() is not changed


def test_a_bad_setting_is_one_line_from_manage_py_check() -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.test import override_settings

    from embedkit.contrib.django import get_resolver

    with override_settings(EMBEDKIT={"timeout": "soon"}):
        with pytest.raises(SystemCheckError) as caught:
            call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
        with pytest.raises(ConfigError, match=r"^EMBEDKIT: timeout must be a number"):
            get_resolver()
    assert (
        "?: (embedkit.E001) EMBEDKIT: timeout must be a number of seconds above 0, not 'soon'"
        in str(caught.value)
    )


# -- manage.py embedkit_warm -----------------------------------------------------------


def warm(*args: str, **kwargs: Any) -> tuple[str, str]:
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command("embedkit_warm", *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_warm_resolves_every_embed_url_in_the_fields_once(sim: ProviderSimulator) -> None:
    from tests.contrib.newsroom.models import Article

    Article.objects.all().delete()
    post = "https://x.com/warmdesk/status/1700000000000000001"
    article(body=f"<p>Intro</p>\n<p>{post}</p>\n<p>Read https://x.com/a/status/9 too.</p>")
    article(body=f"Plain text\n{post}\n", video_url="https://youtu.be/qQpb1oCernE")
    article(body="", video_url="javascript:alert(1)")
    sim.fault("/vimeo/oembed", "status", status=500)
    article(body="<p>https://vimeo.com/76979871</p>")

    out, err = warm("newsroom.Article.body", "newsroom.Article.video_url", verbosity=2)
    assert [r.url_param for r in sim.requests_for("/twitter/oembed")] == [parse_ref(post).url]
    assert sim.count("/youtube/oembed") == 1
    assert out.splitlines() == [
        f"fresh    {post}",
        "fallback https://vimeo.com/76979871",
        "fresh    https://youtu.be/qQpb1oCernE",
        "Resolved 3 embed URLs: 2 fresh, 1 fallback",
    ]
    assert err == ""  # no terminal: no progress counter

    out, _ = warm("newsroom.Article.body", "newsroom.Article.video_url")
    assert out == "Resolved 3 embed URLs: 2 cached, 1 fallback\n"
    assert sim.count("/twitter/oembed") == 1  # warm now
    assert warm("newsroom.Article.body", verbosity=0) == ("", "")
    assert sim.count("/twitter/oembed") == 1
    out, _ = warm("newsroom.Article.body", "--refresh", verbosity=0)
    assert sim.count("/twitter/oembed") == 2  # asked again, though the entry is fresh


def test_warm_shows_progress_on_a_terminal(sim: ProviderSimulator) -> None:
    from django.core.management import call_command
    from tests.contrib.newsroom.models import Article

    Article.objects.all().delete()
    article(body="<p>https://x.com/ndaidong/status/1173592062878314497</p>")
    article(body="<p>https://youtu.be/qQpb1oCernE</p>")
    leader, follower = os.openpty()
    with open(follower, "w") as terminal:
        call_command(
            "embedkit_warm", "newsroom.Article.body", stdout=io.StringIO(), stderr=terminal
        )
    shown = b""
    while not shown.endswith(b"\n") and select.select([leader], [], [], 5)[0]:
        shown += os.read(leader, 4096)  # a terminal may hand the output over in pieces
    os.close(leader)
    assert shown.decode() == "\rResolving embeds: 1/2\rResolving embeds: 2/2\r\n"


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("newsroom.Article", "'newsroom.Article' is not app_label.Model.field"),
        ("newsroom.Story.body", "'newsroom.Story.body': there is no model newsroom.Story"),
        ("newsroom.Article.text", "'newsroom.Article.text': Article has no field 'text'"),
        ("newsroom.Article.views", "'newsroom.Article.views' holds int values, not text"),
    ],
)
def test_warm_names_a_bad_field_in_one_line(label: str, message: str) -> None:
    from django.core.management.base import CommandError

    article(views=3)
    with pytest.raises(CommandError) as caught:
        warm(label)
    assert str(caught.value) == message


def test_included_templates_share_their_page_collection(sim: ProviderSimulator) -> None:
    from django.template import Context, Engine

    engine = Engine(
        libraries={"embedkit": "embedkit.contrib.django.templatetags.embedkit"},
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "page.html": "{% load embedkit %}{% include 'post.html' %}|{% embed_scripts %}",
                    "post.html": "{% load embedkit %}{% embed url %}",
                },
            )
        ],
    )
    page = engine.get_template("page.html").render(
        Context({"url": "https://x.com/ndaidong/status/1173592062878314497"})
    )
    embeds, scripts = page.split("|")
    assert "Live event: Release Lotus" in embeds
    assert script_srcs(scripts) == [WIDGETS]


def test_templates_rendered_separately_for_one_request_share_it(sim: ProviderSimulator) -> None:
    """Like Wagtail's blocks, each rendered on its own with the page's request."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    block = render_to_string(
        "newsroom/article.html",
        {"article": {"title": "t", "video_url": "", "body": ""}},
        request=request,
    )
    assert script_srcs(block) == []
    from django.template import engines

    engine = engines["django"]
    post = engine.from_string("{% load embedkit %}{% embed url %}").render(
        {"url": "https://x.com/ndaidong/status/1173592062878314497"}, request
    )
    assert script_srcs(post) == []
    end = engine.from_string("{% load embedkit %}{% embed_scripts %}").render({}, request)
    assert script_srcs(end) == [WIDGETS]
    other = engine.from_string("{% load embedkit %}{% embed_scripts %}").render(
        {}, RequestFactory().get("/")
    )
    assert other == ""


def test_the_filter_reads_wagtail_rich_text_as_html(sim: ProviderSimulator) -> None:
    from wagtail.rich_text import RichText

    body = RichText("<p>https://x.com/ndaidong/status/1173592062878314497</p>")
    page = render("{% load embedkit %}{{ body|embeds }}", body=body)
    assert "Live event: Release Lotus" in page
    assert "&lt;" not in page


def test_warm_reports_a_bad_environment_in_one_line(sim_env: dict[str, str]) -> None:
    from django.core.management.base import CommandError
    from django.test import override_settings

    bad = {"env": {**sim_env, "EMBEDKIT_CONSENT": "sure"}}
    with override_settings(EMBEDKIT=bad), pytest.raises(CommandError) as caught:
        warm("newsroom.Article.body")
    assert str(caught.value) == "EMBEDKIT_CONSENT must be 1 or 0 (true/false), not 'sure'"
