from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "backend.common"
    label = "common"

    def ready(self) -> None:
        from backend.common import strict_json

        strict_json.install()
