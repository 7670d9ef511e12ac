from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.common.api import unrouted_api
from backend.health import healthz, readyz
from backend.monitoring import metrics
from backend.sync.services.attachments import attachments_store_whole

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("backend.api_v1")),
    path("", include("backend.negotiation.urls")),
    # The complaint form stores the customer's photos as attachments; sync is a layer above incidents,
    # so the store is handed down from here.
    path("", include("backend.incidents.urls"), {"store_photos": attachments_store_whole}),
    path("", include("backend.console.urls")),
    re_path(r"^api/(?P<rest>.*)$", unrouted_api),
]

# Other unrouted URLs (only used with DEBUG off); /api/ ones are caught by the last route above.
handler404 = "backend.common.api.not_found"
