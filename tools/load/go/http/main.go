// http_go: the goroutine-per-connection Go HTTP server, a peer of issue 5's
// benchmark suite: net/http as it comes (HTTP/1.1 keep-alive, one goroutine
// per connection). The harness runs it with GOMAXPROCS=1 and with the
// default, through the environment.
//
//	http_go [--port P] [--bind ADDR] [--file PATH]
//
// Answers like tools/load/http_server: GET / a fixed text body; GET /file the
// content of PATH, read from disk again on every request (the C peer opens,
// reads and closes it per request; 500 if it cannot be read); another path
// 404; another method 405 and the connection closes. Listens on ADDR:P (default
// 127.0.0.1, port 0 = ephemeral), prints "port N" on stdout once listening,
// and runs until SIGTERM or SIGINT, then exits 0.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"ringletload/serve"
	"strconv"
)

var hello = []byte("Hello from ringlet's benchmark\n")

func main() {
	fs := flag.NewFlagSet("http_go", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one-line errors, not flag's usage dump
	port := fs.Int("port", 0, "TCP port (0 = ephemeral)")
	bind := fs.String("bind", "127.0.0.1", "address to listen on")
	file := fs.String("file", "", "file served at /file")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() != 0 || *port < 0 || *port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: http_go [--port P] [--bind ADDR] [--file PATH]")
		os.Exit(2)
	}

	handler := func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Connection", "close")
			reply(w, http.StatusMethodNotAllowed, "text/plain", nil)
			return
		}
		switch r.URL.Path {
		case "/":
			reply(w, http.StatusOK, "text/plain", hello)
		case "/file":
			body, err := os.ReadFile(*file)
			if err != nil {
				reply(w, http.StatusInternalServerError, "text/plain", nil)
				return
			}
			reply(w, http.StatusOK, "application/octet-stream", body)
		default:
			reply(w, http.StatusNotFound, "text/plain", nil)
		}
	}

	ln := serve.Listen("http_go", *bind, *port)

	srv := &http.Server{
		Handler:  http.HandlerFunc(handler),
		ErrorLog: log.New(io.Discard, "", 0), // no "http: Accept error" noise
	}
	err := srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "http_go: %v\n", err)
	os.Exit(1)
}

// reply sends status with body, Content-Length set so that net/http neither
// sniffs nor chunks.
func reply(w http.ResponseWriter, status int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
