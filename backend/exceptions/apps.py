from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "backend.exceptions"
    label = "exceptions"
    default_auto_field = "django.db.models.BigAutoField"
