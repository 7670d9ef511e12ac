from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "backend.dispatch"
    label = "dispatch"

    def ready(self) -> None:
        # Register the tasks in every process: services send them by name (a signature), and a
        # signature runs the registered task (eagerly when there is no broker) only if it is known.
        from backend.dispatch import tasks  # noqa: F401
        from backend.dispatch.services.debounce import replan_soon, windows_covering
        from backend.shipments.services.followups import register_replan_check, register_replan_opener

        # Lifecycle services skip a re-plan trigger the courier's open window already holds, and
        # open or join the window themselves after their commit (only the run goes to the worker).
        register_replan_check(windows_covering)
        register_replan_opener(
            lambda courier_id, trigger, urgent: replan_soon(
                courier_id=courier_id, trigger=trigger, urgent=urgent
            )
        )
