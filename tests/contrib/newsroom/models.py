"""The test project's models: a plain Django article and a Wagtail story page."""

from __future__ import annotations

from django.db import models
from wagtail.embeds.blocks import EmbedBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page


class Article(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    video_url = models.URLField(blank=True)
    views = models.IntegerField(default=0)


class StoryPage(Page):
    intro = RichTextField(blank=True, features=["embed"])
    body = StreamField([("embed", EmbedBlock())], blank=True)
    video_url = models.URLField(blank=True)

    template = "newsroom/story_page.html"
