"""The broker transport (ops.broker): a failed ack frees the prefetch slot (issue 12)."""

from unittest import mock

import pytest
import redis
from kombu.transport import redis as kombu_redis

from ops.broker import QoS


class HungPipeline:
    def execute(self):
        raise redis.TimeoutError("Timeout reading from socket")


@pytest.mark.parametrize("qos_class", [QoS, pytest.param(kombu_redis.QoS, id="stock")])
def test_an_ack_that_times_out_still_frees_the_prefetch_slot(qos_class):
    qos = qos_class(mock.Mock(), prefetch_count=1)
    qos.restore_at_shutdown = False  # nothing to give back to a mock channel
    qos._delivered["tag-1"] = mock.Mock()
    qos._remove_from_indices = lambda tag, pipe=None: HungPipeline()
    assert not qos.can_consume()  # one message in flight, prefetch 1

    with pytest.raises(redis.TimeoutError):
        qos.ack("tag-1")  # the worker logs "Couldn't ack" and goes on

    freed = qos.can_consume()
    if qos_class is kombu_redis.QoS:
        assert not freed  # why ops.broker exists: the stock worker never consumes again
    else:
        assert freed
