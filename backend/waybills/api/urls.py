from django.urls import path

from backend.waybills.api import views

urlpatterns = [
    path("waybill-blocks", views.WaybillBlocksApi.as_view(), name="waybills-blocks"),
    path(
        "waybill-blocks/<int:block_id>/close",
        views.WaybillBlockCloseApi.as_view(),
        name="waybills-block-close",
    ),
]
