from django.contrib import admin
from django.urls import path

from outreach import views

app_name = "outreach"

urlpatterns = [
    path("", admin.site.admin_view(views.preferences), name="preferences"),
    path("language/", admin.site.admin_view(views.language_set), name="language_set"),
    path("feed/", admin.site.admin_view(views.feed_change), name="feed_change"),
    path(
        "meeting/<int:pk>.ics",
        admin.site.admin_view(views.meeting_download),
        name="meeting_ics",
    ),
    path(
        "event/<int:pk>.ics",
        admin.site.admin_view(views.event_download),
        name="event_ics",
    ),
]

feed_urlpatterns = [
    path("calendar/<str:token>.ics", views.feed, name="outreach_feed"),
]
