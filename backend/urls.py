from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("backend.api_v1")),
    path("", include("backend.console.urls")),
]

# Unrouted /api/ URLs answer with the API error shape (only used with DEBUG off).
handler404 = "backend.common.api.not_found"
