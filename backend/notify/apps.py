from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "backend.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the tasks in every process: a queued message asks for its send by name (a
        # signature), which runs the registered task (eagerly without a broker) only if it is known.
        from backend.notify import tasks  # noqa: F401
