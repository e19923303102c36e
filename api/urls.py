from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from api.endpoints import RESOURCES

router = DefaultRouter(trailing_slash=True)
for prefix, viewset in RESOURCES.items():
    router.register(prefix, viewset, basename=prefix)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("", include(router.urls)),
]
