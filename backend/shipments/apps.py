from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "backend.shipments"
    label = "shipments"
