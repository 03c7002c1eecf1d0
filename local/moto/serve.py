"""moto's DynamoDB server for the native stack, applying one request at a time.

S3 is MinIO on the native stack (as in compose and minikube); moto serves DynamoDB only, because
DynamoDB Local's licence is not open source.

Real DynamoDB applies a conditional update atomically. moto's threaded server checks the condition
and then writes, so two concurrent conditional raises of one item can land out of order: measured
here, a dataset watermark raised by two concurrent micro-batcher invocations ended a minute behind.
Serializing requests gives the emulator the atomicity the project relies on in AWS.

Two changes make each request cheaper, measured with the micro-batcher benchmark (npm run bench):
moto looks up the backend of every request by listing its own package directory, so the lookup is
memoized per host; and the server keeps HTTP/1.1 connections open, so clients reuse them instead of
opening one (and the server a thread) per request. werkzeug's development server closes every
connection (and then waits up to 10 ms draining it), so requests with a length are served here.

moto keeps everything in memory. With --state, the DynamoDB backend survives a restart as
the stack's other state does: they are restored from the file at start, written back (atomically,
by rename) a moment after requests that change them and again at shutdown. Only
`npm run local:down -- --purge` deletes the file.
"""

import argparse
import functools
import io
import os
import pickle
import signal
import sys
import threading
import time

import moto
from moto.backends import get_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, run_simple

SERVICES = ("dynamodb",)
# DynamoDB sends every call as a POST; these leave the tables as they are.
DYNAMODB_READS = frozenset(
    f"DynamoDB_20120810.{op}"
    for op in ("GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "ListTables", "DescribeTimeToLive")
)


class CachedDispatcher(DomainDispatcherApplication):
    """moto's dispatcher with the per-request backend lookup (a directory listing) memoized."""

    @functools.lru_cache(maxsize=256)
    def get_backend_for_host(self, host):
        return super().get_backend_for_host(host)


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler, keeping the connection open after a request with a known length.

    The body is read whole before the app runs, so the next request line is never mistaken for it,
    and the response is sent with its length. Chunked requests and ones expecting 100-continue take
    werkzeug's own path, which closes the connection; so does a request the app fails on.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle's algorithm the body would wait for the client's
    # delayed ACK of the headers (40 ms) on a kept connection.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or self.headers.get("Expect") or (length and not length.isdigit()):
            super().run_wsgi()
            return
        body = self.rfile.read(int(length or 0))
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        started = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]

        try:
            chunks = self.server.app(environ, start_response)
            try:
                payload = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        except Exception as error:  # noqa: BLE001 - answered as werkzeug answers an app error
            self.server.log("error", f"Error on request: {error!r}")
            self.send_error(500)
            self.close_connection = True
            return
        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        # The length is the body's, except for HEAD, which answers with the length a GET would have.
        computed = self.command != "HEAD"
        dropped = ("connection", "transfer-encoding", "server", "date") + (("content-length",) if computed else ())
        for name, value in headers:
            if name.lower() not in dropped:
                self.send_header(name, value)
        if computed:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if computed:
            self.wfile.write(payload)
        self.wfile.flush()


def changes_state(environ) -> bool:
    if environ["REQUEST_METHOD"] in ("GET", "HEAD"):
        return False
    return environ.get("HTTP_X_AMZ_TARGET") not in DYNAMODB_READS


class StateFile:
    """The DynamoDB backend, pickled to one file (written by this server only)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.write_lock = threading.Lock()

    def restore(self) -> None:
        if not os.path.exists(self.path):
            return
        try:
            with open(self.path, "rb") as file:
                saved = pickle.load(file)
            if saved["moto"] != moto.__version__:
                raise ValueError(f"written by moto {saved['moto']}, this is moto {moto.__version__}")
            for name in SERVICES:
                backend = get_backend(name)
                backend.clear()
                backend.update(saved["backends"][name])
        except Exception as error:  # noqa: BLE001 - any unreadable file gets the same one-line answer
            sys.exit(
                f"error: cannot restore DynamoDB state from {self.path}: {error}; "
                "move the file away, or delete all local state with npm run local:down -- --purge"
            )
        print(f"restored DynamoDB state from {self.path}", flush=True)

    def snapshot(self) -> bytes:
        """The state as bytes; the caller holds the request lock, so no request is half applied."""
        backends = {name: dict(get_backend(name)) for name in SERVICES}
        return pickle.dumps({"moto": moto.__version__, "backends": backends}, pickle.HIGHEST_PROTOCOL)

    def write(self, data: bytes) -> None:
        with self.write_lock:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            temporary = f"{self.path}.tmp"
            with open(temporary, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--state", help="file that keeps DynamoDB across restarts")
    args = parser.parse_args()

    app = CachedDispatcher(create_backend_app)
    lock = threading.Lock()
    dirty = threading.Event()
    state = StateFile(args.state) if args.state else None
    if state:
        state.restore()

    def one_at_a_time(environ, start_response):
        with lock:
            if state and changes_state(environ):
                dirty.set()
            # The body is produced under the lock too: moto computes responses lazily in places.
            return list(app(environ, start_response))

    def save() -> None:
        with lock:
            dirty.clear()
            data = state.snapshot()
        state.write(data)

    def keep_saving() -> None:
        # Pickling holds the request lock, so a large state is saved less often: at most ~10% of the time.
        pause = 2.0
        while True:
            dirty.wait()
            time.sleep(pause)
            started = time.monotonic()
            save()
            pause = max(2.0, 10 * (time.monotonic() - started))

    if state:
        threading.Thread(target=keep_saving, name="state-saver", daemon=True).start()
    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, lambda *_: sys.exit(0))
    try:
        run_simple(
            args.host,
            args.port,
            one_at_a_time,
            threaded=True,
            use_reloader=False,
            request_handler=KeepAliveHandler,
        )
    finally:
        if state:
            # Unconditional: the saver may be mid-write; this waits for it and writes the newest state.
            save()
            print(f"saved DynamoDB state to {state.path}", flush=True)


if __name__ == "__main__":
    main()
