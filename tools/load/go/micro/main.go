// micro_go: the Go runtime's side of issue 5's microbenchmarks, next to
// tools/load/switch_cost, pingpong and spawn_join. Each mode prints one line
// of key=value pairs on stdout.
//
//	micro_go gosched [--rounds N]       gosched_ns=X
//	micro_go chanpingpong [--rounds N]  park_unpark_ns=X
//	micro_go spawn [--seconds D]        spawns=N rate=R
//
// gosched: two goroutines take turns with runtime.Gosched() under
// GOMAXPROCS=1; ns per switch (a round, both yielding once, is 2 switches).
// chanpingpong: two goroutines bounce a token over two unbuffered channels
// under GOMAXPROCS=1, so each handoff parks one and unparks the other; ns per
// one-way handoff (a round trip is 2). Both report the best of 5 runs of N
// rounds (default 1,000,000).
// spawn: start one goroutine and wait for it with a sync.WaitGroup, one at a
// time (pthread_create + pthread_join's counterpart), for D seconds (default
// 3); rate is per second. It keeps the process's GOMAXPROCS, which the
// harness sets through the environment (1, or the default).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

const runs = 5

func usage() {
	fmt.Fprintln(os.Stderr, "usage: micro_go gosched|chanpingpong [--rounds N] | micro_go spawn [--seconds D]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet("micro_go "+mode, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one usage line, not flag's dump
	switch mode {
	case "gosched", "chanpingpong":
		rounds := fs.Int("rounds", 1000000, "rounds per run")
		if fs.Parse(os.Args[2:]) != nil || fs.NArg() != 0 || *rounds <= 0 {
			usage()
		}
		runtime.GOMAXPROCS(1)
		if mode == "gosched" {
			fmt.Printf("gosched_ns=%.1f\n", best(*rounds, gosched))
		} else {
			fmt.Printf("park_unpark_ns=%.1f\n", best(*rounds, pingpong))
		}
	case "spawn":
		seconds := fs.Float64("seconds", 3, "how long to run")
		if fs.Parse(os.Args[2:]) != nil || fs.NArg() != 0 || !(*seconds > 0) {
			usage()
		}
		spawn(time.Duration(*seconds * float64(time.Second)))
	default:
		usage()
	}
}

// best runs f(rounds) runs times and returns the smallest ns per switch;
// f returns how long its rounds took and how many switches they made.
func best(rounds int, f func(int) (time.Duration, int)) float64 {
	min := 0.0
	for i := 0; i < runs; i++ {
		d, switches := f(rounds)
		ns := float64(d.Nanoseconds()) / float64(switches)
		if i == 0 || ns < min {
			min = ns
		}
	}
	return min
}

// gosched: each of two goroutines yields rounds times; with one P the other
// one runs in between, so every Gosched is a switch.
func gosched(rounds int) (time.Duration, int) {
	var wg sync.WaitGroup
	yield := func() {
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			runtime.Gosched()
		}
	}
	wg.Add(2)
	start := time.Now()
	go yield()
	go yield()
	wg.Wait()
	return time.Since(start), 2 * rounds
}

// pingpong: a token goes over ping and comes back over pong rounds times;
// every send hands it to a parked receiver and parks the sender.
func pingpong(rounds int) (time.Duration, int) {
	ping, pong := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		for i := 0; i < rounds; i++ {
			<-ping
			pong <- struct{}{}
		}
		close(done)
	}()
	start := time.Now()
	for i := 0; i < rounds; i++ {
		ping <- struct{}{}
		<-pong
	}
	d := time.Since(start)
	<-done
	return d, 2 * rounds
}

// spawn starts and waits for one trivial goroutine at a time for d.
func spawn(d time.Duration) {
	var wg sync.WaitGroup
	spawns := 0
	start := time.Now()
	elapsed := time.Duration(0)
	for elapsed < d {
		wg.Add(1)
		go wg.Done()
		wg.Wait()
		spawns++
		elapsed = time.Since(start)
	}
	fmt.Printf("spawns=%d rate=%.1f\n", spawns, float64(spawns)/elapsed.Seconds())
}
