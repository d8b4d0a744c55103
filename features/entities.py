"""Feast entities: the business keys every feature is attached to.

Join keys match the shared data contract (``learner_id``, ``course_id``,
``device_id``, ``ip``); all ids are strings in our events, so they are declared
as strings here too (a type mismatch silently misses online keys).
"""

from __future__ import annotations

from feast import Entity, ValueType

learner = Entity(
    name="learner",
    join_keys=["learner_id"],
    value_type=ValueType.STRING,
    description="A learner (user who enrolls in and watches courses).",
    owner="team:features",
)

course = Entity(
    name="course",
    join_keys=["course_id"],
    value_type=ValueType.STRING,
    description="A published course.",
    owner="team:features",
)

device = Entity(
    name="device",
    join_keys=["device_id"],
    value_type=ValueType.STRING,
    description="The device a payment was attempted from (fraud signals).",
    owner="team:features",
)

ip = Entity(
    name="ip",
    join_keys=["ip"],
    value_type=ValueType.STRING,
    description="The client IP address of a payment attempt (fraud signals).",
    owner="team:features",
)

ALL_ENTITIES: list[Entity] = [learner, course, device, ip]
