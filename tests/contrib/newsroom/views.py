from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Article


def article(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Article, pk=pk)
    return render(request, "newsroom/article.html", {"article": found})
