from django.apps import AppConfig


class CouriersConfig(AppConfig):
    name = "backend.couriers"
    label = "couriers"
    verbose_name = "Stations and couriers"
