"""gunicorn settings for one app server: `gunicorn -c gunicorn.conf.py smartcity.wsgi`.

Each setting can be overridden from the environment (GUNICORN_BIND, WEB_CONCURRENCY, ...),
so N app servers on N machines (or ports) are started with the same one command.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# With SEARCH_BACKEND=postgres workers hold no index, so CPU count decides. With the Whoosh
# default every worker opens the index (hundreds of MB at 100k articles): keep it small.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak never takes a server down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The load balancer's address, trusted for X-Forwarded-* (comma-separated).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" turns it off
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
wsgi_app = "smartcity.wsgi:application"
