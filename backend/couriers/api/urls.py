from django.urls import path

from backend.couriers.api import views

urlpatterns = [
    path(
        "couriers/<int:courier_id>/revoke-tokens",
        views.CourierRevokeTokensApi.as_view(),
        name="courier-revoke-tokens",
    ),
    path(
        "couriers/<int:courier_id>/unlock-login",
        views.CourierUnlockLoginApi.as_view(),
        name="courier-unlock-login",
    ),
]
