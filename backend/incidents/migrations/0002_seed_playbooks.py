"""One playbook per incident type: the legal clocks (acknowledge in 2 working hours, decide in
48, alarm on day 5 of the 7 working days a complaint must be answered in), what evidence a
person must bring, who is told, and how it may end. Edited in the admin afterwards."""

from django.db import migrations

ALL = ["found", "compensated", "returned", "closed"]
PLAYBOOKS = {
    # type: (required evidence, tell the customer, loss escalation hours, resolutions)
    "loss": (["description"], True, 24, ALL),
    "damage": (["photo", "description"], True, None, ["compensated", "returned", "closed"]),
    "delay": ([], True, None, ["compensated", "closed"]),
    "misdelivery": (["description"], True, None, ALL),
    "data_leak": (["description"], True, None, ["compensated", "closed"]),
    "vehicle_accident": (["photo", "description"], False, None, ["found", "compensated", "closed"]),
    "weather_road": (["description"], False, None, ["returned", "closed"]),
}


def seed(apps, schema_editor):
    Playbook = apps.get_model("incidents", "Playbook")
    for kind, (evidence, customer, manager_hours, resolutions) in PLAYBOOKS.items():
        Playbook.objects.update_or_create(
            incident_type=kind,
            defaults={
                "required_evidence": evidence,
                "notify_supervisor": True,
                "notify_customer": customer,
                "acknowledge_hours": 2,
                "decide_hours": 48,
                "legal_working_days": 7,
                "alarm_working_day": 5,
                "manager_after_hours": manager_hours,
                "allowed_resolutions": resolutions,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_incidents_playbooks_disruptions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
