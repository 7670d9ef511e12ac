"""Status vocabularies for shipments and jobs (no Django models here, so pure code can import them)."""

from __future__ import annotations

from django.db import models


class ShipmentStatus(models.TextChoices):
    CREATED = "created", "Created"  # booked or manifested, not yet in our hands
    PICKED_UP = "picked_up", "Picked up"
    AT_STATION = "at_station", "At station"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    DELIVERY_FAILED = "delivery_failed", "Delivery attempt failed"
    HELD = "held", "Held for collection"  # at the station counter or in a locker
    RETURNING = "returning", "Returning to sender"
    RETURNED = "returned", "Returned to sender"
    EXCEPTION = "exception", "Exception"  # damaged, lost, customs…: a supervisor decides
    CANCELLED = "cancelled", "Cancelled"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Unassigned"
    ASSIGNED = "assigned", "Assigned"
    ACCEPTED = "accepted", "Accepted"
    STARTED = "started", "On the way"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class JobKind(models.TextChoices):
    PICKUP = "pickup", "Pickup"
    DELIVERY = "delivery", "Delivery"


class ServiceLevel(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPRESS = "express", "Express"
    SAME_DAY = "same_day", "Same day"


class EventKind(models.TextChoices):
    CREATED = "created", "Shipment created"
    PICKUP_SCAN = "pickup_scan", "Picked up"
    STATION_IN = "station_in", "Arrived at station"
    SORTED = "sorted", "Sorted"
    LOADED_OUT = "loaded_out", "Loaded out for delivery"
    JOB_ASSIGNED = "job_assigned", "Assigned to courier"
    JOB_UNASSIGNED = "job_unassigned", "Unassigned"
    JOB_ACCEPTED = "job_accepted", "Accepted by courier"
    JOB_STARTED = "job_started", "Courier on the way"
    JOB_ARRIVED = "job_arrived", "Courier arrived"
    JOB_CANCELLED = "job_cancelled", "Job cancelled"
    DELIVERY_ATTEMPT = "delivery_attempt", "Delivery attempt failed"
    PICKUP_FAILED = "pickup_failed", "Pickup attempt failed"
    DELIVERED = "delivered", "Delivered"
    HELD = "held", "Held for collection"
    EXCEPTION = "exception", "Exception"
    RETURNING = "returning", "Returning to sender"
    RETURNED = "returned", "Returned to sender"
    CANCELLED = "cancelled", "Cancelled"


class ReasonCode(models.TextChoices):
    """Why an attempt failed. Documented in docs/api.md; the handheld receives this list with its data."""

    NOT_HOME = "not_home", "Recipient not at home"
    WRONG_ADDRESS = "wrong_address", "Wrong address"
    ADDRESS_INCOMPLETE = "address_incomplete", "Address incomplete"
    REFUSED = "refused", "Refused by recipient"
    ACCESS_DENIED = "access_denied", "No access (gate, guard, building)"
    DAMAGED = "damaged", "Parcel damaged"
    CUSTOMER_RESCHEDULED = "customer_rescheduled", "Customer asked for another time"
    COD_NOT_READY = "cod_not_ready", "Cash on delivery not ready"
    COD_REFUSED = "cod_refused", "Refused to pay the cash on delivery amount"
    COD_PARTIAL = "cod_partial", "Could pay only part of the cash on delivery amount"
    BUSINESS_CLOSED = "business_closed", "Business closed"
    NO_SAFE_PLACE = "no_safe_place", "No safe place to leave it"
    VEHICLE_OR_WEATHER = "vehicle_or_weather", "Vehicle breakdown or severe weather"
    # Chinese courier practice (issue 17): 电话无人接听/联系不上, 查无此人, 超区/错分,
    # 客户要求自提/放驿站 (with the customer's consent), 到付运费拒付, 内件短少.
    NO_ANSWER = "no_answer", "Phone not answered / unreachable"
    NO_SUCH_PERSON = "no_such_person", "No such person at the address"
    OUT_OF_AREA = "out_of_area", "Outside the area / missorted"
    SELF_COLLECT = "self_collect", "Customer will collect it (station or parcel point)"
    FREIGHT_REFUSED = "freight_refused", "Freight-collect charge refused"
    CONTENTS_SHORT = "contents_short", "Contents missing"
    # A pickup refused at the sender's door: 违禁品拒收, 寄件人拒绝实名登记 (the law requires it).
    PROHIBITED_ITEMS = "prohibited_items", "Prohibited items: not accepted"
    NO_REAL_NAME = "no_real_name", "Sender refused the real-name check"


class CollectionKind(models.TextChoices):
    """What a money record is (``Collection``): taken at the door, or a supervisor's correction."""

    COD = "cod", "Cash on delivery"
    PICKUP_FEE = "pickup_fee", "Pickup fee paid at the door"
    CORRECTION = "correction", "Correction of an earlier record"


class NextStep(models.TextChoices):
    RETRY = "retry", "Try again"
    NEW_WINDOW = "new_window", "Another time window"
    HOLD_STATION = "hold_station", "Hold at the station"
    HOLD_LOCKER = "hold_locker", "Put in a locker"
    REDIRECT = "redirect", "Redirect to another address"
    RETURN = "return", "Return to sender"
    NEIGHBOUR = "neighbour", "Leave with a neighbour"
    SAFE_PLACE = "safe_place", "Leave in a safe place"


class ProofMethod(models.TextChoices):
    SIGNATURE = "signature", "Signature"
    PHOTO = "photo", "Photo"
    CODE = "code", "Pickup code"
    STATION = "station", "Handed to station"
    LOCKER = "locker", "Put in locker"


class RecipientRelation(models.TextChoices):
    SELF = "self", "Recipient"
    FAMILY = "family", "Family"
    COLLEAGUE = "colleague", "Colleague"
    GUARD = "guard", "Guard / reception"
    LOCKER = "locker", "Locker"
    STATION = "station", "Station"
    NEIGHBOUR = "neighbour", "Neighbour"  # needs the recipient's consent (shipments/consent.py)
    SAFE_PLACE = "safe_place", "Safe place"  # likewise


class HandlingFlag(models.TextChoices):
    FRAGILE = "fragile", "Fragile"
    LIQUID = "liquid", "Liquid"
    KEEP_UPRIGHT = "keep_upright", "Keep upright"
    HIGH_VALUE = "high_value", "High value"
    CALL_BEFORE = "call_before", "Call before delivery"
    ID_CHECK = "id_check", "Check recipient ID"
