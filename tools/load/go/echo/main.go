// echo_go: the goroutine-per-connection Go echo server, a peer of issue 5's
// benchmark suite (next to tools/load/echo_server, echo_epoll and echo_uring).
// It is what net/netpoll makes of the thread-per-connection style: one
// goroutine per connection doing blocking-looking Read/Write. The harness runs
// it with GOMAXPROCS=1 and with the default, through the environment.
//
//	echo_go [--port P] [--bind ADDR]
//
// Listens on ADDR:P (default 127.0.0.1, port 0 = ephemeral), prints "port N"
// on stdout once listening, and runs until SIGTERM or SIGINT, then exits 0.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"ringletload/serve"
	"time"
)

const bufSize = 64 << 10

func main() {
	fs := flag.NewFlagSet("echo_go", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one-line errors, not flag's usage dump
	port := fs.Int("port", 0, "TCP port (0 = ephemeral)")
	bind := fs.String("bind", "127.0.0.1", "address to listen on")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() != 0 || *port < 0 || *port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: echo_go [--port P] [--bind ADDR]")
		os.Exit(2)
	}

	ln := serve.Listen("echo_go", *bind, *port)

	var lastComplaint time.Time
	for {
		c, err := ln.Accept()
		if err != nil {
			// EMFILE and friends (net retries EINTR and ECONNABORTED
			// itself): like echo_server, complain at most once a second
			// and wait for connections to close.
			if now := time.Now(); now.Sub(lastComplaint) >= time.Second {
				lastComplaint = now
				fmt.Fprintf(os.Stderr, "echo_go: accept: %v\n", err)
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go echo(c)
	}
}

// echo writes back whatever it reads until EOF or an error.
func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
