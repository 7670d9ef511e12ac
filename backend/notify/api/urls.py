from django.urls import path

from backend.notify.api import views

urlpatterns = [
    path("notify/callback", views.MessageCallbackApi.as_view(), name="notify-callback"),
]
