from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo station (``manage.py seed_demo``): above every app it seeds through (docs/architecture.md)."""

    name = "backend.demo"
    label = "demo"
