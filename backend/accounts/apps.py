from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Registers the deploy checks (importing the module is the registration).
        from backend.common import checks  # noqa: F401
