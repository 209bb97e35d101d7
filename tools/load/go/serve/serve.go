// Package serve is what the Go peers of tools/load share with the C ones
// (tools/load/serve.h): listen on bind:port, exit 0 on SIGTERM or SIGINT,
// and print "port N" on stdout once listening (the harness reads it).
package serve

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// Listen listens or exits 1 with one line on stderr naming the program.
func Listen(name, bind string, port int) net.Listener {
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	// os.Stdout is unbuffered: the line is out when Printf returns.
	fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
	return ln
}
