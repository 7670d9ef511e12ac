from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "backend.kpis"
    label = "kpis"
