from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "backend.stations"
    label = "stations"
    verbose_name = "Station onboarding"
