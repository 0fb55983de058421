"""Who this worker process is, for claims and heartbeats (reports.ingest.claims, ops.heartbeat).

Set once in the worker's main process and inherited by its pool processes: leases name the
boot token, so a worker restarted under the same name and pid (a container) does not renew a
dead one's; a task whose pid differs from ``WORKER_PID`` runs in a pool process.
"""

import os
import secrets

WORKER_BOOT = secrets.token_hex(4)
WORKER_PID = os.getpid()
