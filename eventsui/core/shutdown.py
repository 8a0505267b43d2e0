"""Whether this process has been asked to stop: long responses end cleanly when it has.

gunicorn (deploy/gunicorn.conf.py, post_worker_init) sets `stopping` when a
worker gets SIGTERM, the start of a graceful restart or scale-down. A
streamed export checks it between pages and closes its file with the
incomplete marker, rather than be cut mid-row when the graceful timeout ends.
"""

from __future__ import annotations

import threading

stopping = threading.Event()
