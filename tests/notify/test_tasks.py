"""The notify tasks: registered under their names, routed to the notify queue, run by beat."""

from config.celery import app

NOTIFY_TASKS = [
    "notify.transitions_dispatch",
    "notify.webhook_deliver",
    "notify.webhook_deliveries_requeue",
]


def test_notify_tasks_are_registered_and_routed_to_the_notify_queue():
    for name in NOTIFY_TASKS:
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "notify"


def test_beat_sweeps_dispatch_and_requeue_with_registered_tasks():
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    swept = {name for name in scheduled if name.startswith("notify.")}
    assert swept == {"notify.transitions_dispatch", "notify.webhook_deliveries_requeue"}
    assert all(name in app.tasks for name in swept)
