"""kombu's Redis transport with one change: an ack that fails (Redis hung or gone at that
moment) still frees the worker's prefetch slot.

Stock kombu raises before it forgets the message locally, so the worker counts it as in
flight for ever; with ``-c 1`` and a prefetch of one it never asks Redis for work again
(seen here: a SIGSTOP of Redis while a task finished stalled the worker until restarted).
The message itself stays in Redis's unacked index and comes back after the visibility
timeout; every task is safe to run twice (the ingest claims its payload).
"""

from kombu.transport import redis


class QoS(redis.QoS):
    def ack(self, delivery_tag):
        try:
            super().ack(delivery_tag)
        except Exception:
            self._quick_ack(delivery_tag)  # what the stock ack does after Redis answered
            raise

    def reject(self, delivery_tag, requeue=False):
        try:
            super().reject(delivery_tag, requeue=requeue)
        except Exception:
            self._quick_ack(delivery_tag)
            raise


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
