from django.urls import path

from backend.forecast.api import views

urlpatterns = [
    path("stations/<str:code>/forecast", views.StationForecastApi.as_view(), name="station-forecast"),
]
