from __future__ import annotations

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from . import views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("articles/<int:pk>/", views.article),
    path("", include(wagtail_urls)),
]
