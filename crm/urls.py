from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm.health import health
from outreach.urls import feed_urlpatterns

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("health/", health, name="health"),
    path("admin/reports/dashboards/", include("reports.urls")),
    path("admin/account/two-factor/", include("accounts.urls")),
    path("admin/account/api-tokens/", include("api.token_urls")),
    path("api/v1/", include("api.urls")),
    path("admin/account/reminders/", include("outreach.urls")),
    *feed_urlpatterns,
    path("admin/", admin.site.urls),
]
