"""The shipments app's models: parcels and their work (``parcels``) and the change feed (``feed``).

Fields and constraints only. Every write goes through ``backend.shipments.services`` (the feed
through ``backend.shipments.feed``); nothing else calls ``save()`` on these models.
"""

from backend.shipments.models.feed import FeedCounter, FeedEntry
from backend.shipments.models.parcels import (
    Collection,
    DeliveryAttempt,
    Job,
    OfflineConflict,
    ProofOfDelivery,
    SerialCounter,
    Shipment,
    TrackingEvent,
)

__all__ = [
    "Collection",
    "DeliveryAttempt",
    "FeedCounter",
    "FeedEntry",
    "Job",
    "OfflineConflict",
    "ProofOfDelivery",
    "SerialCounter",
    "Shipment",
    "TrackingEvent",
]
