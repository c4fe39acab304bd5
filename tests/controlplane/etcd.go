package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// etcdOptions is the small subset of etcd's configuration the tests need.
type etcdOptions struct {
	DataDir   string
	ClientURL string // http://127.0.0.1:PORT
	PeerURL   string // empty: a free loopback port
	LogFile   string // empty: stderr
	LogLevel  string
	// NoFsync trades durability for speed; a test cluster is thrown away.
	NoFsync bool
}

// startEtcd starts a single-member embedded etcd and waits until it serves.
func startEtcd(o etcdOptions) (*embed.Etcd, error) {
	clientURL, err := url.Parse(o.ClientURL)
	if err != nil {
		return nil, fmt.Errorf("--listen-client-url: %w", err)
	}
	if o.PeerURL == "" {
		// etcd's default peer port 2380 would clash between parallel tests.
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		o.PeerURL = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	}
	peerURL, err := url.Parse(o.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("peer url: %w", err)
	}

	cfg := embed.NewConfig()
	cfg.Name = "rc-etcd"
	cfg.Dir = o.DataDir
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = o.NoFsync
	cfg.LogLevel = o.LogLevel
	if o.LogFile != "" {
		cfg.LogOutputs = []string{o.LogFile}
	}
	// Tests churn few keys; compact hourly so a long-lived dev cluster does not grow.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd failed: %w", err)
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("etcd not ready after 60s")
	}
}

// runEtcd is the `etcd` subcommand: embedded etcd in the foreground.
func runEtcd() int {
	fs := flag.NewFlagSet("etcd", flag.ExitOnError)
	var o etcdOptions
	fs.StringVar(&o.DataDir, "data-dir", "", "etcd data directory (required)")
	fs.StringVar(&o.ClientURL, "listen-client-url", "http://127.0.0.1:2379", "client URL to listen on and advertise")
	fs.StringVar(&o.ClientURL, "listen-client-urls", "http://127.0.0.1:2379", "alias of --listen-client-url (one URL only)")
	fs.StringVar(&o.PeerURL, "listen-peer-url", "", "peer URL (default: a free 127.0.0.1 port)")
	fs.StringVar(&o.LogFile, "log-file", "", "log file (default stderr)")
	fs.StringVar(&o.LogLevel, "log-level", "warn", "debug, info, warn or error")
	fs.BoolVar(&o.NoFsync, "unsafe-no-fsync", false, "disable fsync (throw-away clusters only)")
	_ = fs.Parse(os.Args[1:])
	if o.DataDir == "" {
		fmt.Fprintln(os.Stderr, "etcd: --data-dir is required")
		return 2
	}
	if abs, err := filepath.Abs(o.DataDir); err == nil {
		o.DataDir = abs
	}

	e, err := startEtcd(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "etcd ready on %s\n", o.ClientURL)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "etcd: %v, stopping\n", s)
		e.Close()
		return 0
	case err := <-e.Err():
		fmt.Fprintln(os.Stderr, "etcd:", err)
		e.Close()
		return 1
	}
}

// freePorts asks the kernel for n distinct unused loopback TCP ports. They
// are released before use, so a small race with other processes remains;
// holding all listeners until every port is known at least keeps them distinct.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
