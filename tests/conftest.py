"""Shared personas: an observer of mission A, an observer of mission B, an analyst, an API
consumer, an administrator and an outsider, on one small agreement."""

import contextlib
import datetime as dt
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings

from accounts.roles import ANALYST, API_CONSUMER, OBSERVER, roles_sync
from agreements.models import Agreement, Clause, VerificationMechanism
from reports.models import ObserverMission
from tests.factories import (
    AgreementFactory,
    ClauseFactory,
    MechanismFactory,
    MissionFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"


# Started first when the suite runs in several processes (pytest-xdist), slowest first: the
# longest tests begin while the short ones fill the gaps, instead of one of them starting last.
SLOW_FIRST = (
    "tests/integration/test_backup_restore.py",
    "tests/integration/test_worker_lease.py",
    "tests/integration/",
    "tests/api/test_schema.py",
    "tests/browser/",
    "tests/accounts/test_access_policy.py",
    "tests/fuzz/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the usual order

    def rank(item: pytest.Item) -> int:
        return next(
            (n for n, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)),
            len(SLOW_FIRST),
        )

    items.sort(key=rank)  # stable: each group keeps its order


@dataclass
class World:
    agreement: Agreement
    clause_a: Clause  # covered by mission A's mechanism
    clause_b: Clause  # covered by mission B's mechanism
    clause_unmonitored: Clause
    mechanism_a: VerificationMechanism
    mechanism_b: VerificationMechanism
    mission_a: ObserverMission
    mission_b: ObserverMission


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs about a second per user; the tests are about access, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _process_state_clear() -> None:
    """Each test starts without what earlier tests left in this process's globals: in one
    process a test meets whatever ran before it there, an order xdist shuffles.

    - core.queue remembers a failed broker for REDIS_RETRY_AFTER seconds (per URL, and the
      in-process tests all use memory://): a test right after one whose broker failed would
      find its doorbell silently skipped.
    - Celery keeps "a result may not be joined here" in one process-wide flag, set and reset
      around each eager task; eager tasks in several threads at once can leave it set, and
      every later ``result.get()`` then refuses (seen after test_change_feed_concurrency).
    """
    from celery import _state

    from core.queue import broker_rest_forget

    broker_rest_forget()
    _state._set_task_join_will_block(False)


@pytest.fixture
def roles(db):
    roles_sync()


def _user(username: str, *, role: str | None = None, staff: bool = False, **extra):
    from django.contrib.auth.models import Group

    user = UserFactory(username=username, is_staff=staff, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def world_build() -> World:
    """The small agreement of the personas: two missions, each watching one clause."""
    agreement = AgreementFactory(code="test-ceasefire", title="Test ceasefire")
    clause_a = ClauseFactory(agreement=agreement, reference="1", title="Ceasefire")
    clause_b = ClauseFactory(
        agreement=agreement,
        reference="2",
        title="Withdrawal",
        category=Clause.Category.WEAPONS_WITHDRAWAL,
    )
    clause_unmonitored = ClauseFactory(
        agreement=agreement,
        reference="3",
        title="Exchange",
        category=Clause.Category.PRISONER_EXCHANGE,
    )
    mechanism_a = MechanismFactory(agreement=agreement, code="mech-a", name="Mechanism A")
    mechanism_a.clauses.set([clause_a])
    mechanism_b = MechanismFactory(agreement=agreement, code="mech-b", name="Mechanism B")
    mechanism_b.clauses.set([clause_b])
    mission_a = MissionFactory(code="mission-a", name="Mission A")
    mission_a.mechanisms.set([mechanism_a])
    mission_b = MissionFactory(code="mission-b", name="Mission B")
    mission_b.mechanisms.set([mechanism_b])
    return World(
        agreement,
        clause_a,
        clause_b,
        clause_unmonitored,
        mechanism_a,
        mechanism_b,
        mission_a,
        mission_b,
    )


def persona_build(name: str, world: World):
    """One persona of ``world`` by its fixture name (``observer_a`` ... ``outsider``)."""
    if name == "observer_a":
        user = _user("observer_a", role=OBSERVER, staff=True)
        world.mission_a.members.add(user)
        return user
    if name == "observer_b":
        user = _user("observer_b", role=OBSERVER, staff=True)
        world.mission_b.members.add(user)
        return user
    if name == "analyst":
        return _user("analyst", role=ANALYST, staff=True)
    if name == "api_consumer":
        return _user("consumer", role=API_CONSUMER)
    if name == "administrator":
        return _user("admin", staff=True, is_superuser=True)
    if name == "outsider":
        return _user("outsider")
    raise LookupError(name)


@pytest.fixture
def world(db, roles) -> World:
    return world_build()


@pytest.fixture
def observer_a(world):
    return persona_build("observer_a", world)


@pytest.fixture
def observer_b(world):
    return persona_build("observer_b", world)


@pytest.fixture
def analyst(world):
    return persona_build("analyst", world)


@pytest.fixture
def api_consumer(world):
    return persona_build("api_consumer", world)


@pytest.fixture
def administrator(world):
    return persona_build("administrator", world)


@pytest.fixture
def outsider(world):
    return persona_build("outsider", world)


@pytest.fixture
def client_for(client):
    """Log the test client in as a persona: ``client_for(observer_a)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip with a printed reason when a real service is absent; fail under REQUIRE_SERVICES."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if settings.REQUIRE_SERVICES or os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, and REQUIRE_SERVICES=1 says it must be.")
    pytest.skip(f"{message}; start it to run this test (CI sets REQUIRE_SERVICES=1).")


@pytest.fixture
def today():
    return dt.date(2025, 3, 1)


@pytest.fixture
def mute_redis() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()
