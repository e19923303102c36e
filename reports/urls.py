"""Report pages under /admin/reports/dashboards/, inside the admin.

Included from ``crm/urls.py`` before the admin's own patterns; every view is
wrapped in ``admin.site.admin_view`` (staff login, no caching).
"""

from django.contrib import admin
from django.urls import path

from reports import statement, views

urlpatterns = [
    path("", admin.site.admin_view(views.index), name="reports_index"),
    path(
        "statement/",
        admin.site.admin_view(statement.statement_page),
        name="reports_statement",
    ),
    path(
        "statement/download.<str:fmt>",
        admin.site.admin_view(statement.statement_download),
        name="reports_statement_download",
    ),
    path(
        "<slug:slug>/",
        admin.site.admin_view(views.report_page),
        name="reports_dashboard",
    ),
    path(
        "<slug:slug>/download.<str:fmt>",
        admin.site.admin_view(views.report_download),
        name="reports_download",
    ),
]
