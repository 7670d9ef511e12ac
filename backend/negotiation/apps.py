from django.apps import AppConfig


class NegotiationConfig(AppConfig):
    name = "backend.negotiation"
    label = "negotiation"
    default_auto_field = "django.db.models.BigAutoField"
