from django.apps import AppConfig


class PickupConfig(AppConfig):
    name = "backend.pickup"
    label = "pickup"
    verbose_name = "Pickup at the door: tariffs, quotes, labels, printers"
