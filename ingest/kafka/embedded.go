package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is a one-broker Kafka cluster running inside the process. It is
// safe for concurrent use; Close it once, after the clients using it.
type Embedded struct {
	cluster *kfake.Cluster
	addr    string // bound address
	adv     string // address advertised in metadata
	cfg     Config
	log     *slog.Logger

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// retentionEvery is how often the embedded broker deletes records older than
// Config.Retention. kfake only enforces retention when asked.
const retentionEvery = 5 * time.Minute

// StartEmbedded starts the embedded broker described by cfg: one broker
// listening on cfg.Listen over TCP (TLS and SASL when configured), persisting
// to cfg.DataDir, with cfg.Topics created and auto topic creation allowed.
//
// With a data directory, every produced batch is written to the data
// directory before the produce request is acknowledged, so acknowledged
// records survive a kill -9 of the process (the kernel holds the written
// pages). With cfg.SyncWrites each batch is also fsynced, which survives a
// power loss too at the price of one fsync per batch (see the package
// benchmarks); Kafka itself relies on the page cache and replication the same
// way by default. An existing data directory is reopened with its topics,
// records and committed group offsets. With an empty DataDir the broker keeps
// records in memory only, which tests use. log may be nil.
func StartEmbedded(cfg Config, log *slog.Logger) (*Embedded, error) {
	return startEmbedded(cfg, log, cfg.SyncWrites)
}

// startEmbedded lets the benchmark measure the broker without fsync.
func startEmbedded(cfg Config, log *slog.Logger, syncWrites bool) (*Embedded, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !cfg.Embedded {
		return nil, errors.New("kafka.embedded is false: logmart connects to kafka.brokers instead of starting a broker")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	var tlsCfg *tls.Config
	if cfg.TLS.Enabled {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load kafka.tls.cert_file %q and kafka.tls.key_file %q: %w", cfg.TLS.CertFile, cfg.TLS.KeyFile, err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, listenError(cfg.Listen, err)
	}
	bound := ln.Addr().String()
	adv := cfg.AdvertisedAddr
	if adv == "" {
		adv = loopbackIfUnspecified(bound)
	}
	handed := false
	listen := func(string, string) (net.Listener, error) {
		// kfake asks for 127.0.0.1:<port>; hand it the listener bound to
		// exactly cfg.Listen instead, reporting the advertised address so
		// metadata responses point clients at something they can reach.
		if handed {
			return nil, errors.New("the embedded Kafka runs a single broker")
		}
		handed = true
		return advertisedListener{Listener: ln, adv: adv}, nil
	}

	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			ln.Close()
			return nil, fmt.Errorf("cannot create kafka.data_dir %q: %w", cfg.DataDir, err)
		}
		if cfg.SASL.Mechanism != "" {
			// kfake reloads SASL users from the data directory over the
			// configured ones; the config file is the source of truth, so a
			// changed password takes effect on restart.
			if err := os.Remove(filepath.Join(cfg.DataDir, "sasl.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
				ln.Close()
				return nil, fmt.Errorf("cannot reset SASL users in kafka.data_dir %q: %w", cfg.DataDir, err)
			}
		}
	} else {
		log.Warn("embedded kafka has no data dir: records are kept in memory and lost when logmart exits")
	}

	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(listen),
		kfake.ClusterID("logmart"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.WithLogger(slogAdapter{log}),
	}
	if len(cfg.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(cfg.Partitions), cfg.Topics...))
	}
	if cfg.Retention > 0 {
		opts = append(opts, kfake.BrokerConfigs(map[string]string{
			"log.retention.ms": strconv.FormatInt(cfg.Retention.Milliseconds(), 10),
		}))
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
		if syncWrites {
			opts = append(opts, kfake.SyncWrites())
		}
	}
	if cfg.SASL.Mechanism != "" {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(cfg.SASL.Mechanism, cfg.SASL.Username, cfg.SASL.Password))
	}
	if tlsCfg != nil {
		opts = append(opts, kfake.TLS(tlsCfg))
	}

	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		if !handed {
			ln.Close()
		}
		if cfg.DataDir != "" {
			return nil, fmt.Errorf("cannot start embedded kafka on kafka.data_dir %q: %w", cfg.DataDir, err)
		}
		return nil, fmt.Errorf("cannot start embedded kafka: %w", err)
	}

	// SeedTopics only applies to a fresh data directory; topics added to the
	// config later are created here.
	for _, t := range cfg.Topics {
		if cluster.TopicInfo(t) != nil {
			continue
		}
		if err := cluster.CreateTopic(t, int32(cfg.Partitions), nil); err != nil {
			cluster.Close()
			return nil, fmt.Errorf("cannot create topic %q: %w", t, err)
		}
	}

	e := &Embedded{
		cluster: cluster,
		addr:    bound,
		adv:     adv,
		cfg:     cfg,
		log:     log,
		stop:    make(chan struct{}),
	}
	if cfg.Retention > 0 {
		e.wg.Add(1)
		go e.enforceRetention()
	}
	log.Info("embedded kafka started", "addr", bound, "advertised", adv, "data_dir", cfg.DataDir,
		"topics", cfg.Topics, "partitions", cfg.Partitions, "sasl", cfg.SASL.Mechanism, "tls", cfg.TLS.Enabled)
	return e, nil
}

// Addr is the address the broker is bound to, with the real port when
// cfg.Listen asked for port 0.
func (e *Embedded) Addr() string { return e.addr }

// Config returns the configuration the broker runs with, Listen replaced by
// the bound address, so ClientOpts(e.Config()) reaches this broker even when
// it was started on port 0.
func (e *Embedded) Config() Config {
	c := e.cfg
	c.Listen = e.addr
	c.Topics = append([]string(nil), e.cfg.Topics...)
	return c
}

// Close stops accepting connections, waits for in-flight requests, and
// writes the broker's state to the data directory. Clients still connected
// see their connections drop. Close is idempotent.
func (e *Embedded) Close() {
	e.once.Do(func() {
		close(e.stop)
		e.wg.Wait()
		e.cluster.Close()
		e.log.Info("embedded kafka stopped", "addr", e.addr)
	})
}

func (e *Embedded) enforceRetention() {
	defer e.wg.Done()
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.cluster.ApplyRetention()
		}
	}
}

// advertisedListener reports adv as its address: kfake builds metadata
// responses from the listener's address.
type advertisedListener struct {
	net.Listener
	adv string
}

func (l advertisedListener) Addr() net.Addr { return hostPortAddr(l.adv) }

type hostPortAddr string

func (a hostPortAddr) Network() string { return "tcp" }
func (a hostPortAddr) String() string  { return string(a) }

// loopbackIfUnspecified turns 0.0.0.0:p or [::]:p into 127.0.0.1:p: an
// address a local client can dial.
func loopbackIfUnspecified(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return hostport
}

// slogAdapter forwards kfake's logs to slog. kfake logs every request at its
// info level, so its info and debug become slog debug.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Logf(level kfake.LogLevel, format string, args ...any) {
	var l slog.Level
	switch level {
	case kfake.LogLevelError:
		l = slog.LevelError
	case kfake.LogLevelWarn:
		l = slog.LevelWarn
	default:
		l = slog.LevelDebug
	}
	if !a.log.Enabled(context.Background(), l) {
		return
	}
	a.log.Log(context.Background(), l, fmt.Sprintf(format, args...), "component", "kfake")
}

// Cluster is the underlying kfake cluster, for fault injection in tests
// (ControlKey). Production code has no use for it.
func (e *Embedded) Cluster() *kfake.Cluster { return e.cluster }

// CheckListen binds addr, the embedded broker's kafka.listen, and lets it
// go. serve calls it before it creates anything on disk, so a port in use is
// reported before a new ClickHouse folder exists, with the same message
// StartEmbedded gives.
func CheckListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	return ln.Close()
}

// listenError says what to do about a kafka.listen that cannot be bound.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on kafka.listen %q: the address is already in use (another Kafka or logmart?); stop that process or choose another address with --kafka-addr", addr)
	}
	return fmt.Errorf("cannot listen on kafka.listen %q: %w (choose another address with --kafka-addr)", addr, err)
}
