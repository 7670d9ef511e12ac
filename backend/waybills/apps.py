from django.apps import AppConfig


class WaybillsConfig(AppConfig):
    name = "backend.waybills"
    label = "waybills"
    verbose_name = "Waybill number blocks"
