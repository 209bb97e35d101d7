"""CPython's ThreadingHTTPServer and 64 client threads using urllib.

The server runs on 127.0.0.1 (ephemeral port) in a thread; it starts one
thread per connection. 64 client threads, released together by a barrier,
each make 20 requests to /item/<client>/<request>; the handler answers with a
body derived from the path, which the client checks. At the peak (every
client started, server handler threads alive) the program reports its OS
threads on stderr as os_threads=N, like tests/programs/report.h.

Exit 0 when every body is right, 1 otherwise."""

import http.server
import os
import sys
import threading
import urllib.request

CLIENTS = 64
REQUESTS = 20


def count_os_threads():
    n = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                comm = f.read()
        except OSError:
            comm = ""
        if not comm.startswith("iou-"):
            n += 1
    return n


def report_os_threads():
    print(f"os_threads={count_os_threads()}", file=sys.stderr, flush=True)


def body_for(path):
    return (path * 3 + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    active = 0
    active_lock = threading.Lock()
    peak_reported = threading.Event()

    def do_GET(self):
        with Handler.active_lock:
            Handler.active += 1
            # The peak: all clients started (the barrier broke) and handler
            # threads alive, this one included.
            if released.is_set() and not Handler.peak_reported.is_set():
                Handler.peak_reported.set()
                report_os_threads()
        try:
            if not self.path.startswith("/item/"):
                self.send_error(404)
                return
            body = body_for(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with Handler.active_lock:
                Handler.active -= 1

    def log_message(self, format, *args):
        pass


# No proxy from the environment: the server is on loopback.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs of 64 clients at once


released = threading.Event()
barrier = threading.Barrier(CLIENTS, action=released.set)
failures = []


def client(port, i):
    try:
        barrier.wait(timeout=60)
        for j in range(REQUESTS):
            path = f"/item/{i}/{j}"
            with opener.open(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
                if r.status != 200:
                    raise RuntimeError(f"{path}: status {r.status}")
                got = r.read()
            if got != body_for(path):
                raise RuntimeError(f"{path}: body {got[:60]!r}")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failures.append(f"client {i}: {e!r}")


def main():
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    st = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    st.start()
    clients = [threading.Thread(target=client, args=(port, i)) for i in range(CLIENTS)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    server.shutdown()
    st.join()
    server.server_close()
    if not Handler.peak_reported.is_set():
        report_os_threads()
    if failures:
        for f in failures[:10]:
            print(f, file=sys.stderr)
        print(f"http_threads: {len(failures)} clients failed", file=sys.stderr)
        return 1
    print(f"{CLIENTS} clients x {REQUESTS} requests: all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
