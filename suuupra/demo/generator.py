"""Deterministic demo world: learners, courses, engagement, commerce and fraud.

The generator is a day-by-day simulation so that memory stays bounded at any
scale: per-learner state is a few small fields, and each day's sessions are
planned as light tuples, sorted by start time and then expanded into events
that are yielded (never collected). Everything random flows from one
``random.Random(seed)``, including event ids, so the same seed, scale and date
range produce byte-identical event streams. It is one module (over 400 lines) on
purpose: the simulation shares one RNG whose call order *is* the determinism
contract, and splitting it would scatter that order across files.

Behaviour modelled (what the downstream pipelines and models should find):

* taste clusters: each learner prefers one or two course clusters; course choice
  is Zipf-like popularity times cluster affinity;
* sessions: lesson views and video heartbeats (every 60 s watched) with
  completion; enrolled learners progress through lessons; activity decays with
  time since signup (so retention cohorts look real);
* commerce: free enrollments, paid checkouts (cart -> order -> payment ->
  paid -> enrollment), card declines, legitimate refunds;
* fraud (labelled ``is_fraud=1`` on ``payment.attempted`` with a
  ``fraud_pattern``): velocity bursts, card testing (many small amounts),
  account takeover (new device + unusual country + high amount) and refund
  abuse; about 1% of payment attempts.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from suuupra.demo.catalog import Course, build_catalog, n_courses_for_scale
from suuupra.events import (
    CartCreated,
    CoursePublished,
    EnrollmentCreated,
    Event,
    LessonPublished,
    LessonViewed,
    OrderCreated,
    OrderPaid,
    OrderRefunded,
    PaymentAttempted,
    PaymentAuthorized,
    PaymentDeclined,
    SearchPerformed,
    UserRegistered,
    VideoProgress,
)

PRODUCER = "demo-world"
HOME_COUNTRIES = ["IN"] * 14 + ["US", "GB", "DE", "SG", "AE", "CA"]
FOREIGN_COUNTRIES = ["NG", "RU", "BR", "VN", "UA", "ID", "PK", "RO"]
METHODS = ["card", "card", "upi", "upi", "upi", "wallet"]
CLUSTERS = ["python-basics", "text", "algorithms", "systems", "tooling",
            "calculus", "linear-algebra", "probability", "discrete"]
# Session start hour weights (UTC), evening-heavy.
HOUR_WEIGHTS = [1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5, 3, 2]


@dataclass
class WorldConfig:
    scale: int = 1
    seed: int = 42
    start: date = date(2026, 10, 27)
    days: int = 28
    learners_per_scale: int = 1000
    fraud_incidents_per_day_per_scale: float = 0.09

    def __post_init__(self) -> None:
        if self.scale < 1:
            raise ValueError("scale must be >= 1")
        if self.days < 1:
            raise ValueError("days must be >= 1")

    @property
    def n_learners(self) -> int:
        return self.learners_per_scale * self.scale


@dataclass
class Learner:
    learner_id: str
    country: str
    clusters: list[str]
    devices: list[str]
    ip: str
    signup_day: int
    activity: float
    method: str
    enrolled: dict[str, int] = field(default_factory=dict)  # course_id -> next lesson index
    paid_orders: list[tuple[str, str, int]] = field(default_factory=list)  # (order, payment, amount)


class DemoWorld:
    """Iterate :meth:`events` to stream the whole world in (roughly) time order."""

    def __init__(self, config: WorldConfig) -> None:
        self.cfg = config
        self.rng = random.Random(config.seed)
        self.courses: list[Course] = build_catalog(n_courses_for_scale(config.scale), self.rng)
        self.by_cluster: dict[str, list[int]] = {}
        for idx, course in enumerate(self.courses):
            self.by_cluster.setdefault(course.cluster, []).append(idx)
        # Zipf-like base popularity over a shuffled order.
        order = list(range(len(self.courses)))
        self.rng.shuffle(order)
        self.popularity = [0.0] * len(self.courses)
        for rank, idx in enumerate(order):
            self.popularity[idx] = 1.0 / (rank + 1) ** 0.9
        self.learners: list[Learner] = []
        self._ip_counter = 0
        self.stats: dict[str, int] = {}

    # ------------------------------------------------------------ helpers
    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _ip(self, private_block: int = 0) -> str:
        self._ip_counter += 1
        n = self._ip_counter
        first = [49, 103, 117, 157, 182][private_block % 5]
        return f"{first}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    def _day_start(self, day: int) -> datetime:
        d = self.cfg.start + timedelta(days=day)
        return datetime(d.year, d.month, d.day, tzinfo=UTC)

    def _random_time(self, day: int) -> datetime:
        hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        return self._day_start(day) + timedelta(hours=hour, seconds=self.rng.randrange(3600))

    def _emit(self, event: Event) -> Event:
        self.stats[event.event_type] = self.stats.get(event.event_type, 0) + 1
        if isinstance(event, PaymentAttempted) and event.is_fraud == 1:
            self.stats["fraud_payments"] = self.stats.get("fraud_payments", 0) + 1
        return event

    def _pick_course(self, learner: Learner, exclude: set[str]) -> Course | None:
        weights = []
        for idx, course in enumerate(self.courses):
            if course.course_id in exclude:
                weights.append(0.0)
                continue
            affinity = 6.0 if course.cluster in learner.clusters else 0.25
            weights.append(self.popularity[idx] * affinity)
        if not any(weights):
            return None
        return self.courses[self.rng.choices(range(len(self.courses)), weights=weights)[0]]

    # ------------------------------------------------------------ world setup
    def _make_learner(self, i: int) -> Learner:
        rng = self.rng
        n_clusters = 1 if rng.random() < 0.6 else 2
        clusters = rng.sample(CLUSTERS, n_clusters)
        signup_day = 0 if rng.random() < 0.4 else rng.randrange(self.cfg.days)
        return Learner(
            learner_id=f"u{i + 1:07d}",
            country=rng.choice(HOME_COUNTRIES),
            clusters=clusters,
            devices=[f"d{rng.getrandbits(40):010x}" for _ in range(1 if rng.random() < 0.7 else 2)],
            ip=self._ip(),
            signup_day=signup_day,
            activity=rng.betavariate(2, 5),
            method=rng.choice(METHODS),
        )

    def _catalog_events(self) -> Iterator[Event]:
        t0 = self._day_start(0)  # the catalog goes live at the start of day 0 (first partition)
        for n, course in enumerate(self.courses):
            at = t0 + timedelta(seconds=n)
            yield self._emit(CoursePublished(
                event_id=self._uuid(), occurred_at=at, producer=PRODUCER,
                course_id=course.course_id, instructor_id=course.instructor_id, title=course.title,
                category=course.category, tags=course.tags, level=course.level,
                price_minor=course.price_minor,
            ))
            for lesson in course.lessons:
                yield self._emit(LessonPublished(
                    event_id=self._uuid(), occurred_at=at, producer=PRODUCER,
                    course_id=course.course_id, lesson_id=lesson.lesson_id, title=lesson.title,
                    position=lesson.position, duration_s=lesson.duration_s,
                ))

    # ------------------------------------------------------------ the simulation
    def events(self) -> Iterator[Event]:
        yield from self._catalog_events()
        self.learners = [self._make_learner(i) for i in range(self.cfg.n_learners)]
        for day in range(self.cfg.days):
            plan: list[tuple[datetime, int, str, int]] = []  # (start, kind-order, kind, learner idx)
            for idx, learner in enumerate(self.learners):
                if learner.signup_day == day:
                    plan.append((self._random_time(day), 0, "signup", idx))
                elif learner.signup_day < day:
                    age = day - learner.signup_day
                    p_active = learner.activity * math.exp(-age / 21)
                    if self.rng.random() < p_active:
                        n_sessions = 1 + (self.rng.random() < 0.3)
                        for _ in range(n_sessions):
                            plan.append((self._random_time(day), 1, "session", idx))
            n_fraud = self._poisson(self.cfg.fraud_incidents_per_day_per_scale * self.cfg.scale)
            for _ in range(n_fraud):
                kind = self.rng.choices(
                    ["velocity_burst", "card_testing", "account_takeover", "refund_abuse"],
                    weights=[3, 1, 4, 2],
                )[0]
                plan.append((self._random_time(day), 2, kind, self.rng.randrange(len(self.learners))))
            plan.sort()
            for start, _, kind, idx in plan:
                learner = self.learners[idx]
                if kind == "signup":
                    yield from self._signup(learner, start)
                    yield from self._session(learner, start + timedelta(minutes=2), browsing=True)
                elif kind == "session":
                    yield from self._session(learner, start, browsing=self.rng.random() < 0.4)
                else:
                    yield from self._fraud(kind, learner, start)
            yield from self._refunds(day)

    def _poisson(self, lam: float) -> int:
        # Knuth's method: fine for the small rates we use per day.
        if lam > 30:
            return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))
        threshold, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= threshold:
                return k
            k += 1

    def _signup(self, learner: Learner, at: datetime) -> Iterator[Event]:
        yield self._emit(UserRegistered(
            event_id=self._uuid(), occurred_at=at, producer=PRODUCER, user_id=learner.learner_id,
            country=learner.country, interests=learner.clusters,
        ))

    def _session(self, learner: Learner, at: datetime, browsing: bool) -> Iterator[Event]:
        rng = self.rng
        session_id = f"s{rng.getrandbits(48):012x}"
        t = at
        if rng.random() < 0.12:
            course = self._pick_course(learner, set())
            if course is not None:
                yield self._emit(SearchPerformed(
                    event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                    learner_id=learner.learner_id, query=" ".join(course.title.split()[:3]).lower(),
                    results=rng.randrange(3, 25),
                ))
                t += timedelta(seconds=rng.randrange(5, 40))
        if browsing or not learner.enrolled:
            course = self._pick_course(learner, set(learner.enrolled))
            if course is None:
                return
            preview = course.lessons[0]
            yield self._emit(LessonViewed(
                event_id=self._uuid(), occurred_at=t, producer=PRODUCER, learner_id=learner.learner_id,
                course_id=course.course_id, lesson_id=preview.lesson_id, session_id=session_id,
            ))
            t += timedelta(seconds=rng.randrange(20, 180))
            affinity = course.cluster in learner.clusters
            if rng.random() < (0.45 if affinity else 0.08):
                if course.price_minor == 0:
                    learner.enrolled[course.course_id] = 0
                    yield self._emit(EnrollmentCreated(
                        event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                        learner_id=learner.learner_id, course_id=course.course_id, source="free",
                    ))
                else:
                    yield from self._checkout(learner, [course], t, device=learner.devices[0],
                                              ip=learner.ip, country=learner.country)
                t += timedelta(seconds=rng.randrange(10, 60))
        if not learner.enrolled:
            return
        course_id = rng.choice(sorted(learner.enrolled))
        course = self._course(course_id)
        affinity = course.cluster in learner.clusters
        for _ in range(rng.randrange(1, 4)):
            pos = learner.enrolled.get(course_id, 0)
            if pos >= len(course.lessons):
                break
            lesson = course.lessons[pos]
            yield self._emit(LessonViewed(
                event_id=self._uuid(), occurred_at=t, producer=PRODUCER, learner_id=learner.learner_id,
                course_id=course_id, lesson_id=lesson.lesson_id, session_id=session_id,
            ))
            fraction = rng.betavariate(5, 1.5) if affinity else rng.betavariate(1.5, 2.5)
            watched = fraction * lesson.duration_s
            position = 0.0
            while position < watched:
                step = min(60.0, watched - position)
                position += step
                t += timedelta(seconds=step)
                done = position >= 0.9 * lesson.duration_s and position >= watched
                yield self._emit(VideoProgress(
                    event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                    learner_id=learner.learner_id, course_id=course_id, lesson_id=lesson.lesson_id,
                    session_id=session_id, position_s=round(position, 1), seconds_watched=round(step, 1),
                    duration_s=float(lesson.duration_s), completed=done, rendition="720p",
                ))
            if fraction >= 0.9:
                learner.enrolled[course_id] = pos + 1
            else:
                break
            t += timedelta(seconds=rng.randrange(5, 60))

    def _course(self, course_id: str) -> Course:
        return self.courses[int(course_id[1:]) - 1]

    def _payment(
        self, learner: Learner, at: datetime, amount: int, order_id: str, *, device: str, ip: str,
        country: str, method: str | None = None, is_fraud: int = 0, pattern: str = "",
        decline_p: float = 0.03,
    ) -> tuple[list[Event], str | None]:
        """Attempt + authorize/decline; returns events and the payment id if authorized."""
        payment_id = f"p{self.rng.getrandbits(56):014x}"
        common = dict(
            producer=PRODUCER, learner_id=learner.learner_id, payment_id=payment_id, order_id=order_id,
            amount_minor=amount, currency="INR", method=method or learner.method, device_id=device,
            ip=ip, country=country,
        )
        events: list[Event] = [self._emit(PaymentAttempted(
            event_id=self._uuid(), occurred_at=at, is_fraud=is_fraud, fraud_pattern=pattern, **common))]
        t = at + timedelta(milliseconds=self.rng.randrange(300, 2500))
        if self.rng.random() < decline_p:
            events.append(self._emit(PaymentDeclined(
                event_id=self._uuid(), occurred_at=t, reason="issuer_declined", **common)))
            return events, None
        events.append(self._emit(PaymentAuthorized(event_id=self._uuid(), occurred_at=t, **common)))
        return events, payment_id

    def _checkout(
        self, learner: Learner, courses: list[Course], at: datetime, *, device: str, ip: str, country: str,
        is_fraud: int = 0, pattern: str = "", method: str | None = None,
    ) -> Iterator[Event]:
        amount = sum(c.price_minor for c in courses) or 100
        course_ids = [c.course_id for c in courses]
        cart_id = f"cart{self.rng.getrandbits(48):012x}"
        order_id = f"o{self.rng.getrandbits(56):014x}"
        yield self._emit(CartCreated(event_id=self._uuid(), occurred_at=at, producer=PRODUCER,
                                     learner_id=learner.learner_id, cart_id=cart_id, course_ids=course_ids))
        t = at + timedelta(seconds=self.rng.randrange(5, 90))
        yield self._emit(OrderCreated(event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                                      learner_id=learner.learner_id, order_id=order_id,
                                      course_ids=course_ids, amount_minor=amount))
        t += timedelta(seconds=self.rng.randrange(3, 30))
        events, payment_id = self._payment(
            learner, t, amount, order_id, device=device, ip=ip, country=country, method=method,
            is_fraud=is_fraud, pattern=pattern, decline_p=0.03 if not is_fraud else 0.15,
        )
        yield from events
        if payment_id is None:
            return
        t = events[-1].occurred_at + timedelta(milliseconds=200)
        yield self._emit(OrderPaid(event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                                   learner_id=learner.learner_id, order_id=order_id,
                                   payment_id=payment_id, amount_minor=amount))
        learner.paid_orders.append((order_id, payment_id, amount))
        for c in courses:
            learner.enrolled.setdefault(c.course_id, 0)
            yield self._emit(EnrollmentCreated(event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                                               learner_id=learner.learner_id, course_id=c.course_id,
                                               source="paid"))

    def _paid_courses(self, k: int, exclude: set[str], expensive: bool = False) -> list[Course]:
        paid = [c for c in self.courses if c.price_minor > 0 and c.course_id not in exclude]
        if expensive:
            paid.sort(key=lambda c: -c.price_minor)
            return paid[:k]
        return self.rng.sample(paid, min(k, len(paid)))

    def _fraud(self, kind: str, victim: Learner, at: datetime) -> Iterator[Event]:
        rng = self.rng
        if kind == "account_takeover":
            # A real learner's account used from a new device in an unusual country.
            if victim.signup_day * 86400 > (at - self._day_start(0)).total_seconds():
                return
            courses = self._paid_courses(rng.randrange(2, 4), set(victim.enrolled), expensive=True)
            yield from self._checkout(
                victim, courses, at, device=f"d{rng.getrandbits(40):010x}", ip=self._ip(3),
                country=rng.choice(FOREIGN_COUNTRIES), is_fraud=1, pattern=kind, method="card",
            )
            return
        # Other patterns are run by throw-away accounts created just before.
        fraudster = self._make_learner(len(self.learners))
        fraudster.signup_day = (at - self._day_start(0)).days
        fraudster.country = rng.choice(HOME_COUNTRIES + FOREIGN_COUNTRIES)
        self.learners.append(fraudster)
        yield from self._signup(fraudster, at - timedelta(minutes=rng.randrange(2, 30)))
        device, ip = fraudster.devices[0], self._ip(4)
        if kind == "velocity_burst":
            t = at
            for course in self._paid_courses(rng.randrange(4, 8), set()):
                yield from self._checkout(fraudster, [course], t, device=device, ip=ip,
                                          country=fraudster.country, is_fraud=1, pattern=kind, method="card")
                t += timedelta(seconds=rng.randrange(30, 150))
        elif kind == "card_testing":
            t = at
            for _ in range(rng.randrange(8, 16)):
                events, _pid = self._payment(
                    fraudster, t, rng.randrange(100, 2_000), "", device=device, ip=ip,
                    country=fraudster.country, method="card", is_fraud=1, pattern=kind, decline_p=0.6,
                )
                yield from events
                t += timedelta(seconds=rng.randrange(4, 40))
        elif kind == "refund_abuse":
            t = at
            for course in self._paid_courses(rng.randrange(2, 4), set()):
                yield from self._checkout(fraudster, [course], t, device=device, ip=ip,
                                          country=fraudster.country, is_fraud=1, pattern=kind)
                t += timedelta(minutes=rng.randrange(20, 90))
            for order_id, payment_id, amount in fraudster.paid_orders:
                t += timedelta(minutes=rng.randrange(30, 240))
                yield self._emit(OrderRefunded(
                    event_id=self._uuid(), occurred_at=t, producer=PRODUCER,
                    learner_id=fraudster.learner_id, order_id=order_id, payment_id=payment_id,
                    amount_minor=amount, reason="not_as_described",
                ))
            fraudster.paid_orders.clear()

    def _refunds(self, day: int) -> Iterator[Event]:
        """A few legitimate refunds at the end of each day."""
        end = self._day_start(day) + timedelta(hours=23, minutes=59)
        for learner in self.learners:
            if learner.paid_orders and self.rng.random() < 0.004:
                order_id, payment_id, amount = learner.paid_orders.pop(0)
                yield self._emit(OrderRefunded(
                    event_id=self._uuid(), occurred_at=end, producer=PRODUCER,
                    learner_id=learner.learner_id, order_id=order_id, payment_id=payment_id,
                    amount_minor=amount, reason="changed_mind",
                ))
