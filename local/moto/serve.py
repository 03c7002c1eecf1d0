"""moto's S3 + DynamoDB server for the native stack, applying one request at a time.

Real DynamoDB applies a conditional update atomically. moto's threaded server checks the condition
and then writes, so two concurrent conditional raises of one item can land out of order: measured
here, a dataset watermark raised by two concurrent micro-batcher invocations ended a minute behind.
Serializing requests gives the emulator the atomicity the project relies on in AWS.

Two changes make each request cheaper, measured with the micro-batcher benchmark (npm run bench):
moto looks up the backend of every request by listing its own package directory, so the lookup is
memoized per host; and the server speaks HTTP/1.1, so clients keep their connections instead of
opening one (and the server a thread) per request.
"""

import argparse
import functools
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, run_simple


class CachedDispatcher(DomainDispatcherApplication):
    """moto's dispatcher with the per-request backend lookup (a directory listing) memoized."""

    @functools.lru_cache(maxsize=256)
    def get_backend_for_host(self, host):
        return super().get_backend_for_host(host)


class KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()

    app = CachedDispatcher(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            # The body is produced under the lock too: moto computes responses lazily in places.
            return list(app(environ, start_response))

    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, lambda *_: sys.exit(0))
    run_simple(
        args.host,
        args.port,
        one_at_a_time,
        threaded=True,
        use_reloader=False,
        request_handler=KeepAliveHandler,
    )


if __name__ == "__main__":
    main()
