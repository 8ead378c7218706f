"""References: every pasted shape of a post becomes one canonical URL; bad input is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit._errors import InvalidReference
from embedkit._models import Ref
from embedkit.resolve._refs import MAX_REF_LENGTH, canonicalize, parse_ref

FIXTURES = Path(__file__).parent.parent / "fixtures" / "urls"

REUTERS = "https://x.com/reuters/status/1636227126391214081"

# (pasted, canonical URL)
CANONICAL = [
    # X / Twitter
    ("https://twitter.com/Reuters/status/1636227126391214081", REUTERS),
    ("https://x.com/Reuters/status/1636227126391214081", REUTERS),
    ("http://www.twitter.com/Reuters/status/1636227126391214081", REUTERS),
    ("https://mobile.twitter.com/Reuters/status/1636227126391214081", REUTERS),
    ("https://mobile.x.com/Reuters/status/1636227126391214081", REUTERS),
    ("https://twitter.com/Reuters/statuses/1636227126391214081", REUTERS),
    ("https://twitter.com/Reuters/status/1636227126391214081/photo/1", REUTERS),
    ("https://x.com/Reuters/status/1636227126391214081/video/1", REUTERS),
    ("https://x.com/Reuters/status/1636227126391214081/analytics", REUTERS),
    ("https://twitter.com/Reuters/status/1636227126391214081?s=20&t=AbCdEf", REUTERS),
    ("https://twitter.com/Reuters/status/1636227126391214081?ref_src=twsrc%5Etfw", REUTERS),
    ("https://x.com/Reuters/status/1636227126391214081#m", REUTERS),
    ("x.com/Reuters/status/1636227126391214081", REUTERS),
    ("  <https://x.com/Reuters/status/1636227126391214081>  ", REUTERS),
    ("HTTPS://X.COM/Reuters/status/1636227126391214081", REUTERS),
    ("https://x.com:443/Reuters/status/1636227126391214081", REUTERS),
    ("https://twitter.com/#!/Reuters/status/1636227126391214081", REUTERS),
    (
        "https://twitter.com/i/web/status/1636227126391214081",
        "https://x.com/i/status/1636227126391214081",
    ),
    ("https://x.com/i/status/1636227126391214081", "https://x.com/i/status/1636227126391214081"),
    (
        "https://twitter.com/web/status/1636227126391214081",
        "https://x.com/i/status/1636227126391214081",
    ),
    ("https://twitter.com/Reuters", "https://x.com/Reuters"),
    ("https://mobile.twitter.com/Reuters?s=20", "https://x.com/Reuters"),
    # YouTube
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ("http://youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    (
        "https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&si=abc",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    ("https://youtu.be/dQw4w9WgXcQ?si=Xy12&t=10", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    (
        "https://www.youtube.com/shorts/aqz-KE-bpKQ?feature=share",
        "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
    ),
    ("https://youtube.com/live/dQw4w9WgXcQ?si=abc", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    (
        "https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    ("https://www.youtube.com/v/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST&index=2&pp=sAQB&ab_channel=Rick",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://www.youtube.com/playlist?list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST&si=x",
        "https://www.youtube.com/playlist?list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST",
    ),
    ("www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    (
        "https://www.youtube.com/embed/videoseries?list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST",
        "https://www.youtube.com/playlist?list=PL4qTakKkQATKOyZPJG_cAMnRtF7fAIdST",
    ),
    # Instagram
    ("https://www.instagram.com/p/CHeRxmnDSYe/", "https://www.instagram.com/p/CHeRxmnDSYe/"),
    (
        "https://instagr.am/p/CHeRxmnDSYe/?utm_source=ig_embed",
        "https://www.instagram.com/p/CHeRxmnDSYe/",
    ),
    ("http://instagram.com/p/CHeRxmnDSYe", "https://www.instagram.com/p/CHeRxmnDSYe/"),
    (
        "https://www.instagram.com/natgeo/p/CHeRxmnDSYe/?igsh=MWQ1",
        "https://www.instagram.com/p/CHeRxmnDSYe/",
    ),
    (
        "https://www.instagram.com/reel/C1a2b3c4d5e/?igshid=abc",
        "https://www.instagram.com/reel/C1a2b3c4d5e/",
    ),
    ("https://www.instagram.com/reels/C1a2b3c4d5e/", "https://www.instagram.com/reel/C1a2b3c4d5e/"),
    ("https://www.instagram.com/tv/B8xyzABCdef/", "https://www.instagram.com/tv/B8xyzABCdef/"),
    # Bluesky
    (
        "https://bsky.app/profile/Mikf.Bsky.Social/post/3kmfodjotln2f",
        "https://bsky.app/profile/mikf.bsky.social/post/3kmfodjotln2f",
    ),
    (
        "at://did:plc:tjf4apt65s75xiojhiqzvcan/app.bsky.feed.post/3kqmooj3ems2w",
        "https://bsky.app/profile/did:plc:tjf4apt65s75xiojhiqzvcan/post/3kqmooj3ems2w",
    ),
    (
        "at://nytimes.com/app.bsky.feed.post/3l7xvcjgdxg2g",
        "https://bsky.app/profile/nytimes.com/post/3l7xvcjgdxg2g",
    ),
    # Mastodon (any instance)
    (
        "https://mastodon.social/@Gargron/109337497224431286",
        "https://mastodon.social/@Gargron/109337497224431286",
    ),
    (
        "https://Mastodon.Social/@Gargron/109337497224431286?utm_source=x#c",
        "https://mastodon.social/@Gargron/109337497224431286",
    ),
    (
        "https://mastodon.social/users/Gargron/statuses/109337497224431286",
        "https://mastodon.social/@Gargron/109337497224431286",
    ),
    (
        "https://mastodon.social/@alice@example.org/109337497224431286",
        "https://mastodon.social/@alice@example.org/109337497224431286",
    ),
    ("https://social.example.jp/@news/1", "https://social.example.jp/@news/1"),
    # TikTok
    (
        "https://www.tiktok.com/@scout2015/video/6718335390845095173?is_from_webapp=1&sender_device=pc",
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
    ),
    (
        "https://tiktok.com/@scout2015/video/6718335390845095173",
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
    ),
    (
        "https://m.tiktok.com/@scout2015/video/6718335390845095173",
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
    ),
    ("https://vm.tiktok.com/ZMabc123/?k=1", "https://vm.tiktok.com/ZMabc123/"),
    ("https://vt.tiktok.com/ZSabc123/", "https://vt.tiktok.com/ZSabc123/"),
    # Threads
    (
        "https://www.threads.net/@zuck/post/C1a2B3c4D5e?xmt=AQG",
        "https://www.threads.net/@zuck/post/C1a2B3c4D5e",
    ),
    (
        "https://threads.com/@zuck/post/C1a2B3c4D5e",
        "https://www.threads.net/@zuck/post/C1a2B3c4D5e",
    ),
    (
        "https://www.threads.com/@zuck/post/C1a2B3c4D5e/media",
        "https://www.threads.net/@zuck/post/C1a2B3c4D5e",
    ),
    # Vimeo
    ("https://vimeo.com/76979871", "https://vimeo.com/76979871"),
    (
        "http://player.vimeo.com/video/76979871?h=a1b2c3d4e5",
        "https://vimeo.com/76979871/a1b2c3d4e5",
    ),
    ("https://www.vimeo.com/channels/staffpicks/76979871", "https://vimeo.com/76979871"),
    ("https://vimeo.com/groups/shortfilms/videos/76979871", "https://vimeo.com/76979871"),
    ("https://vimeo.com/76979871/a1b2c3d4e5", "https://vimeo.com/76979871/a1b2c3d4e5"),
    # Facebook
    (
        "https://m.facebook.com/sesametheopossum/posts/1329405240877426?mibextid=abc",
        "https://www.facebook.com/sesametheopossum/posts/1329405240877426",
    ),
    (
        "https://www.facebook.com/acolono/videos/10154107990797381",
        "https://www.facebook.com/acolono/videos/10154107990797381/",
    ),
    (
        "https://www.facebook.com/watch/?v=1165557851291824",
        "https://www.facebook.com/video.php?v=1165557851291824",
    ),
    (
        "https://www.facebook.com/watch?v=1165557851291824&fbclid=x",
        "https://www.facebook.com/video.php?v=1165557851291824",
    ),
    (
        "https://www.facebook.com/permalink.php?id=149460691764713&story_fbid=827163017327807&rdid=x",
        "https://www.facebook.com/permalink.php?story_fbid=827163017327807&id=149460691764713",
    ),
    (
        "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Fgov.sg%2Fvideos%2F10154383743583686%2F&show_text=0",
        "https://www.facebook.com/gov.sg/videos/10154383743583686/",
    ),
    (  # the plugin wrapper is only unwrapped when it wraps a Facebook post
        "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fexample.com%2F",
        "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fexample.com%2F",
    ),
    # Reddit
    (
        "https://old.reddit.com/r/investing/comments/7pfpeq/buffett_on/?utm_source=share&utm_medium=web2x",
        "https://www.reddit.com/r/investing/comments/7pfpeq/buffett_on/",
    ),
    (
        "https://WWW.Reddit.com/r/RobloxArt/comments/15ko0qu",
        "https://www.reddit.com/r/RobloxArt/comments/15ko0qu/",
    ),
    # Spotify
    (
        "https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC?si=abc",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
    ),
    (
        "https://play.spotify.com/album/7s66wU1XJ2NsUuWM2NKiUV",
        "https://open.spotify.com/album/7s66wU1XJ2NsUuWM2NKiUV",
    ),
    (
        "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
    ),
    # SoundCloud
    (
        "https://soundcloud.com/zedsdead/lost-you?si=abc&utm_source=clipboard",
        "https://soundcloud.com/zedsdead/lost-you",
    ),
    ("https://m.soundcloud.com/zedsdead/lost-you", "https://soundcloud.com/zedsdead/lost-you"),
    # Flickr
    ("https://flickr.com/photos/bees/2341623661", "https://www.flickr.com/photos/bees/2341623661/"),
    (
        "https://secure.flickr.com/photos/bees/2341623661/in/photostream/",
        "https://www.flickr.com/photos/bees/2341623661/",
    ),
    ("http://flic.kr/p/4yVr32", "https://flic.kr/p/4yVr32"),
    # Any other URL: lowercase host, no default port, no fragment, tracking dropped, order kept
    ("HTTP://Example.COM:80/a/b?z=1&utm_source=x&a=2#frag", "http://example.com/a/b?z=1&a=2"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com:8443/x?fbclid=1&gclid=2", "https://example.com:8443/x"),
    ("https://bücher.example/ä?q=ü", "https://xn--bcher-kva.example/%C3%A4?q=%C3%BC"),
    ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
    ("//example.org/path", "https://example.org/path"),
    ("https://app.example/#/item/1?x=2#y", "https://app.example/#/item/1?x=2%23y"),
    ("https://app.example/#!/item/1", "https://app.example/#!/item/1"),
]


@pytest.mark.parametrize(("pasted", "canonical"), CANONICAL)
def test_canonical_form(pasted: str, canonical: str) -> None:
    assert canonicalize(pasted) == canonical


@pytest.mark.parametrize(("pasted", "canonical"), CANONICAL)
def test_canonical_form_is_a_fixed_point(pasted: str, canonical: str) -> None:
    assert canonicalize(canonical) == canonical


# (pasted, kind, post_id, handle, needs_redirect)
FIELDS = [
    (
        "https://twitter.com/Reuters/status/1636227126391214081/photo/1",
        "x",
        "1636227126391214081",
        "Reuters",
        False,
    ),
    (
        "https://twitter.com/i/web/status/1636227126391214081",
        "x",
        "1636227126391214081",
        None,
        False,
    ),
    ("https://youtu.be/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ", None, False),
    (
        "https://www.instagram.com/natgeo/reel/C1a2b3c4d5e/",
        "instagram",
        "C1a2b3c4d5e",
        "natgeo",
        False,
    ),
    (
        "https://bsky.app/profile/nytimes.com/post/3l7xvcjgdxg2g",
        "bluesky",
        "3l7xvcjgdxg2g",
        "nytimes.com",
        False,
    ),
    (
        "https://mastodon.social/@Gargron/109337497224431286",
        "mastodon",
        "109337497224431286",
        "Gargron",
        False,
    ),
    (
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
        "tiktok",
        "6718335390845095173",
        "scout2015",
        False,
    ),
    ("https://vm.tiktok.com/ZMabc123/", "tiktok", None, None, True),
    ("https://www.tiktok.com/t/ZTabc123/", "tiktok", None, None, True),
    ("https://www.threads.net/@zuck/post/C1a2B3c4D5e", "threads", "C1a2B3c4D5e", "zuck", False),
    ("https://vimeo.com/76979871", "vimeo", "76979871", None, False),
    (
        "https://www.facebook.com/watch/?v=1165557851291824",
        "facebook",
        "1165557851291824",
        None,
        False,
    ),
    ("https://www.reddit.com/r/analog/s/hKrTTvFVwZ", "reddit", None, None, True),
    (
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
        "spotify",
        "4uLU6hMCjMI75M1A2tKUQC",
        None,
        False,
    ),
    ("https://soundcloud.com/zedsdead/lost-you", "soundcloud", None, "zedsdead", False),
    ("https://www.flickr.com/photos/bees/2341623661/", "flickr", "2341623661", "bees", False),
    ("https://example.com/post/1", None, None, None, False),
    ("https://mastodon.social/@Gargron", None, None, None, False),
]


@pytest.mark.parametrize(("pasted", "kind", "post_id", "handle", "redirect"), FIELDS)
def test_ref_fields(
    pasted: str, kind: str | None, post_id: str | None, handle: str | None, redirect: bool
) -> None:
    ref = parse_ref(pasted)
    assert isinstance(ref, Ref)
    assert ref.raw == pasted
    assert (ref.kind, ref.post_id, ref.handle, ref.needs_redirect) == (
        kind,
        post_id,
        handle,
        redirect,
    )


def test_x_handle_keeps_its_case_but_the_url_does_not() -> None:
    ref = parse_ref("https://x.com/Reuters/status/1636227126391214081")
    assert ref.handle == "Reuters"
    assert ref.url == REUTERS


# (pasted, words the message must contain)
INVALID = [
    ("", ["empty"]),
    ("   ", ["empty"]),
    ("<>", ["empty"]),
    ("hello", ["not a URL"]),
    ("javascript:alert(1)", ["javascript:", "not allowed"]),
    ("JavaScript:alert(document.cookie)", ["javascript:"]),
    ("data:text/html,<script>alert(1)</script>", ["data:"]),
    ("file:///etc/passwd", ["file:"]),
    ("ftp://example.com/file", ["ftp:"]),
    ("mailto:someone@example.com", ["mailto:"]),
    ("https://", ["no host"]),
    ("https:///path", ["no host"]),
    ("https:example.com", ["not a URL"]),
    ("https://exa mple.com/", ["whitespace"]),
    ("https://example.com/a b", ["whitespace", "U+0020"]),
    ("https://example.com/\x00", ["control", "U+0000"]),
    ("https://example.com/\u200bx", ["invisible", "U+200B"]),
    ("https://example.com/\tx", ["whitespace"]),
    ("https://example.com:99999/", ["malformed"]),
    ("https://[::1/", ["malformed"]),
    ("https://ex_ample..com/", ["invalid host"]),
    ("https://" + "a" * 64 + ".com/", ["invalid host"]),
    ("https://example.com/" + "a" * MAX_REF_LENGTH, ["longer than 2,048"]),
]


@pytest.mark.parametrize(("pasted", "words"), INVALID)
def test_invalid_references_are_refused_with_a_reason(pasted: str, words: list[str]) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_ref(pasted)
    message = str(info.value)
    for word in words:
        assert word in message


def test_invalid_reference_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="scheme"):
        parse_ref("javascript:alert(1)")


def test_credentials_are_refused_and_the_password_is_not_echoed() -> None:
    with pytest.raises(InvalidReference, match="credentials") as info:
        parse_ref("https://alice:hunter2@example.com/post/1")
    assert "hunter2" not in str(info.value)
    assert "example.com/post/1" in str(info.value)


def test_password_is_not_echoed_by_other_errors_either() -> None:
    with pytest.raises(InvalidReference) as info:
        parse_ref("https://alice:hunter2@example.com/a b")
    assert "hunter2" not in str(info.value)


def test_token_query_parameters_are_masked_in_messages() -> None:
    with pytest.raises(InvalidReference) as info:
        parse_ref("https://example.com/x?access_token=SECRET123&a=b c")
    assert "SECRET123" not in str(info.value)


def test_message_quotes_a_truncated_escaped_input() -> None:
    pasted = "https://example.com/\x07" + "a" * 500
    with pytest.raises(InvalidReference) as info:
        parse_ref(pasted)
    message = str(info.value)
    assert "\\x07" in message
    assert "\x07" not in message
    assert "…" in message
    assert len(message) < 200


def test_length_limit_is_exact() -> None:
    base = "https://example.com/"
    assert parse_ref(base + "a" * (MAX_REF_LENGTH - len(base))).url.startswith(base)
    with pytest.raises(InvalidReference):
        parse_ref(base + "a" * (MAX_REF_LENGTH - len(base) + 1))


def test_non_string_is_an_invalid_reference() -> None:
    with pytest.raises(InvalidReference, match="string"):
        parse_ref(None)  # type: ignore[arg-type]


def _real_urls() -> list[str]:
    lines = (FIXTURES / "real-urls.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


REAL_URLS = _real_urls()


def test_real_url_fixture_is_loaded() -> None:
    assert len(REAL_URLS) > 400


@pytest.mark.parametrize("url", REAL_URLS)
def test_every_real_url_parses_or_is_refused(url: str) -> None:
    try:
        ref = parse_ref(url)
    except InvalidReference:
        assert any(char.isspace() for char in url)  # the only bad ones carry spaces
        return
    assert ref.url.startswith(("https://", "http://"))
    assert canonicalize(ref.url) == ref.url


# ----------------------------------------------------------------- properties

_HOSTS = st.sampled_from(
    [
        "x.com", "twitter.com", "mobile.twitter.com", "www.youtube.com", "youtu.be",
        "m.youtube.com", "music.youtube.com", "instagram.com", "bsky.app", "mastodon.social",
        "www.tiktok.com", "vm.tiktok.com", "threads.com", "vimeo.com", "player.vimeo.com",
        "www.facebook.com", "old.reddit.com", "open.spotify.com", "soundcloud.com",
        "flickr.com", "flic.kr", "example.com", "bücher.example", "127.0.0.1",
    ]
)  # fmt: skip
_SEGMENTS = st.lists(
    st.one_of(
        st.sampled_from(
            ["status", "statuses", "i", "web", "@user", "p", "reel", "watch", "shorts",
             "profile", "post", "video", "comments", "r", "s", "photos", "videos", "t",
             "1636227126391214081", "dQw4w9WgXcQ", "3kmfodjotln2f", "Reuters", "%41", "%zz",
             "plugins", "video.php", "permalink.php", "intl-de", "track", "users"]
        ),
        st.text(alphabet="abcXYZ019-_.~%@:!$&'()*+,;=é", max_size=8),
    ),
    max_size=6,
)  # fmt: skip
_PARAMS = st.lists(
    st.tuples(
        st.sampled_from(["v", "list", "s", "t", "si", "utm_source", "fbclid", "id", "story_fbid",
                         "fbid", "href", "h", "q", "a b", "x%20", ""]),
        st.one_of(st.none(), st.text(alphabet="abc019%=+/:?é&", max_size=12)),
    ),
    max_size=4,
)  # fmt: skip


@st.composite
def url_like(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https://", "http://", "", "//", "HTTPS://"]))
    host = draw(_HOSTS)
    port = draw(st.sampled_from(["", "", ":443", ":80", ":8080"]))
    path = "/" + "/".join(draw(_SEGMENTS))
    params = draw(_PARAMS)
    query = "&".join(name if value is None else f"{name}={value}" for name, value in params)
    fragment = draw(st.sampled_from(["", "#x", "#!/Reuters/status/1"]))
    return f"{scheme}{host}{port}{path}{'?' + query if query else ''}{fragment}"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_but_invalid_reference(text: str) -> None:
    try:
        ref = parse_ref(text)
    except InvalidReference:
        return
    assert canonicalize(ref.url) == ref.url


@settings(max_examples=600, deadline=None)
@given(url_like())
def test_canonicalize_is_idempotent(url: str) -> None:
    try:
        once = canonicalize(url)
    except InvalidReference:
        return
    assert canonicalize(once) == once
    assert parse_ref(once).kind == parse_ref(url).kind


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([p for p, _ in CANONICAL]), st.text(max_size=40))
def test_appending_junk_never_raises_anything_else(base: str, junk: str) -> None:
    try:
        once = canonicalize(base.strip() + junk)
    except InvalidReference:
        return
    assert canonicalize(once) == once


@pytest.mark.parametrize("form", ["shorts", "live", "embed"])
def test_youtu_be_with_a_path_form_is_canonical_in_one_step(form: str) -> None:
    # Found by test_canonicalize_is_idempotent: youtu.be/shorts/ID used to become
    # www.youtube.com/shorts/ID, whose own canonical form is watch?v=ID.
    assert canonicalize(f"https://youtu.be/{form}/dQw4w9WgXcQ") == (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
