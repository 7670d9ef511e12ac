from django.apps import AppConfig


class CodConfig(AppConfig):
    name = "backend.cod"
    label = "cod"
    verbose_name = "Cash on delivery: the courier's cash, handovers, variances, closing the shift"
    default_auto_field = "django.db.models.BigAutoField"
