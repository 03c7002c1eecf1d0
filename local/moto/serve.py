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

moto keeps everything in memory. With --state, the DynamoDB backend survives a restart, a
`kill -9` included, as DynamoDB keeps every write it acknowledged: each request that changed a table
is appended to a journal beside the file and flushed to disk (fsync) before it is answered; the
backend is snapshotted to the file (atomically, by rename) a moment after such requests and at
shutdown, which starts a new journal. At start the snapshot is restored and the journal's requests
after it are applied again, in their order. Only `npm run local:down -- --purge` deletes the files.
"""

import argparse
import functools
import glob
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
from werkzeug.test import EnvironBuilder

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
    """The DynamoDB backend, pickled to one file, and the journal of the requests applied since.

    Journal files are named after the sequence number of their first request; a snapshot records
    the last sequence number it contains, so a crash between writing a snapshot and deleting the
    journals it covers replays nothing twice.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.write_lock = threading.Lock()
        self.sequence = 0
        self.journal = None

    def restore(self, app) -> None:
        journals = self.journals()
        if not os.path.exists(self.path) and not journals:
            self.start_journal()
            return
        try:
            covered = 0
            if os.path.exists(self.path):
                with open(self.path, "rb") as file:
                    saved = pickle.load(file)
                if saved["moto"] != moto.__version__:
                    raise ValueError(f"written by moto {saved['moto']}, this is moto {moto.__version__}")
                for name in SERVICES:
                    backend = get_backend(name)
                    backend.clear()
                    backend.update(saved["backends"][name])
                covered = saved.get("sequence", 0)
            self.sequence = covered
            replayed = 0
            for journal in journals:
                for sequence, request in read_journal(journal):
                    if sequence > covered:
                        apply_request(app, request)
                        self.sequence = sequence
                        replayed += 1
        except Exception as error:  # noqa: BLE001 - any unreadable file gets the same one-line answer
            sys.exit(
                f"error: cannot restore DynamoDB state from {self.path}: {error}; "
                "move the file away, or delete all local state with npm run local:down -- --purge"
            )
        self.start_journal()
        print(f"restored DynamoDB state from {self.path} ({replayed} journalled requests applied)", flush=True)

    def journals(self) -> list:
        return sorted(glob.glob(f"{glob.escape(self.path)}.journal-*"), key=lambda name: int(name.rsplit("-", 1)[1]))

    def start_journal(self) -> None:
        """Opens the journal for the requests after the current sequence number; the caller holds the request lock."""
        if self.journal:
            self.journal.close()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.journal = open(f"{self.path}.journal-{self.sequence + 1}", "ab")

    def record(self, request) -> None:
        """Appends one applied request and flushes it to disk; the caller holds the request lock."""
        self.sequence += 1
        entry = pickle.dumps((self.sequence, request), pickle.HIGHEST_PROTOCOL)
        self.journal.write(len(entry).to_bytes(4, "big") + entry)
        self.journal.flush()
        os.fsync(self.journal.fileno())

    def snapshot(self) -> tuple:
        """The state as bytes and its sequence number; the caller holds the request lock, so no request is half applied."""
        backends = {name: dict(get_backend(name)) for name in SERVICES}
        data = {"moto": moto.__version__, "backends": backends, "sequence": self.sequence}
        return pickle.dumps(data, pickle.HIGHEST_PROTOCOL), self.sequence

    def forget_journals(self, covered: int) -> None:
        """Deletes the journals whose requests all are in the snapshot of sequence number `covered`."""
        for journal in self.journals()[:-1]:
            if int(journal.rsplit("-", 1)[1]) <= covered:
                os.remove(journal)


def read_journal(path: str):
    """The (sequence, request) entries of one journal; a torn last entry was never answered, so it ends the file."""
    with open(path, "rb") as file:
        while True:
            header = file.read(4)
            if len(header) < 4:
                return
            entry = file.read(int.from_bytes(header, "big"))
            try:
                yield pickle.loads(entry)
            except Exception:  # noqa: BLE001 - a torn write
                return


def recorded_request(environ, body: bytes) -> dict:
    """What replaying a request needs: its CGI variables (method, path, headers) and body."""
    return {"environ": {key: value for key, value in environ.items() if isinstance(value, str)}, "body": body}


def apply_request(app, request) -> None:
    environ = EnvironBuilder().get_environ()
    environ.update(request["environ"])
    environ["wsgi.input"] = io.BytesIO(request["body"])
    environ["CONTENT_LENGTH"] = str(len(request["body"]))
    list(app(environ, lambda *_: None))

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
        state.restore(app)

    def one_at_a_time(environ, start_response):
        with lock:
            if not (state and changes_state(environ)):
                # The body is produced under the lock too: moto computes responses lazily in places.
                return list(app(environ, start_response))
            body = environ["wsgi.input"].read()
            environ["wsgi.input"] = io.BytesIO(body)
            request = recorded_request(environ, body)
            status = []

            def remember_status(code, headers, exc_info=None):
                status.append(code)
                return start_response(code, headers, exc_info)

            payload = list(app(environ, remember_status))
            # A refused request (a failed condition) changed nothing, so only applied ones are replayed.
            if status and status[0].startswith("2"):
                state.record(request)
                dirty.set()
            return payload

    def save() -> None:
        with lock:
            dirty.clear()
            data, covered = state.snapshot()
            state.start_journal()
        state.write(data)
        state.forget_journals(covered)

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
