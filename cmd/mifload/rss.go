package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RSS is the resident memory of the API process during the run (Linux /proc).
type RSS struct {
	PID     int     `json:"pid"`
	Samples int     `json:"samples"`
	MaxMB   float64 `json:"max_mb"`
	MeanMB  float64 `json:"mean_mb"`
	// HWMMB is the process's peak since it started (VmHWM), which includes start-up and earlier runs.
	HWMMB float64 `json:"hwm_mb"`
}

// readStatusKB reads a "Name:   1234 kB" field of /proc/<pid>/status.
func readStatusKB(status, field string) (int64, bool) {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// rssSampler reads VmRSS every interval until stopped.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	n    int
	max  int64
	sum  int64
	hwm  int64
	done chan struct{}
	wg   sync.WaitGroup
}

func startRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return
	}
	rss, ok := readStatusKB(string(b), "VmRSS")
	if !ok {
		return
	}
	hwm, _ := readStatusKB(string(b), "VmHWM")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.sum += rss
	s.max = max(s.max, rss)
	s.hwm = max(s.hwm, hwm)
}

func (s *rssSampler) stop() *RSS {
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return nil
	}
	mb := func(kb int64) float64 { return float64(kb*10/1024) / 10 }
	return &RSS{PID: s.pid, Samples: s.n, MaxMB: mb(s.max), MeanMB: mb(s.sum / int64(s.n)), HWMMB: mb(s.hwm)}
}

// listeningInodes returns the socket inodes listening on port, from /proc/net/tcp and tcp6.
func listeningInodes(procNet []string, port int) map[string]bool {
	out := map[string]bool{}
	hexPort := fmt.Sprintf(":%04X", port)
	for _, content := range procNet {
		sc := bufio.NewScanner(strings.NewReader(content))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], hexPort) {
				continue
			}
			out[f[9]] = true
		}
	}
	return out
}

// pidListeningOn finds the process that listens on the target's port (the API), by matching the
// listening socket's inode among the processes' open files.
func pidListeningOn(port int) (int, error) {
	var contents []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if b, err := os.ReadFile(f); err == nil {
			contents = append(contents, string(b))
		}
	}
	inodes := listeningInodes(contents, port)
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", port)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
			if err == nil {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("the process listening on port %d is not visible (give -pid)", port)
}

// targetPort is the port of the target URL.
func targetPort(target *url.URL) int {
	if p := target.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	if target.Scheme == "https" {
		return 443
	}
	return 80
}

// checkLoopback refuses a target that is not this machine: a load test sent to another host by
// mistake is an attack on it.
func checkLoopback(ctx context.Context, target *url.URL) error {
	host := target.Hostname()
	if host == "localhost" {
		return nil
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("target %s is not a loopback address (%s); pass -allow-remote to load another host", target.Host, ip)
		}
	}
	if len(ips) == 0 {
		return fmt.Errorf("target %s has no address", host)
	}
	return nil
}
