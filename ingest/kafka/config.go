package kafka

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// SASL mechanisms logmart speaks, as written in the config file. They are the
// mechanisms both the embedded broker and franz-go implement.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

// Config is the `kafka:` section of the logmart config. Decode it strictly
// over Default(), so that keys a user leaves out keep their defaults and
// misspelled keys are errors.
type Config struct {
	// Embedded runs a Kafka broker inside the logmart process (franz-go's
	// kfake) instead of connecting to an external cluster. Default true, so a
	// fresh machine needs no Kafka.
	Embedded bool `yaml:"embedded"`
	// Listen is the host:port the embedded broker binds, over TCP. Default
	// "127.0.0.1:9092": loopback only, so a laptop does not expose an
	// unauthenticated broker. Port 0 picks a free port; read the bound address
	// from Embedded.Addr.
	Listen string `yaml:"listen"`
	// AdvertisedAddr is the host:port the embedded broker tells clients to
	// connect to in metadata responses. Default empty: the bound address, with
	// an unspecified host (0.0.0.0, ::) replaced by 127.0.0.1. Set it when
	// clients on other machines produce to a broker listening on 0.0.0.0,
	// otherwise they connect to their own loopback after the first request.
	AdvertisedAddr string `yaml:"advertised_addr"`
	// DataDir is where the embedded broker persists topics, records and
	// consumer group offsets. Default empty, which the caller replaces with
	// <--data>/kafka; left empty, records live in memory and are lost when the
	// process exits.
	DataDir string `yaml:"data_dir"`
	// Partitions is the partition count of the topics the embedded broker
	// creates, from Topics or on first use. Default 4. More partitions allow
	// more ingest replicas in one consumer group; a topic's partition count
	// never shrinks.
	Partitions int `yaml:"partitions"`
	// Topics are created by the embedded broker at start when missing.
	// Default logs, events, metrics and logs.dead (the dead-letter topic).
	// Other topics are created on first produce.
	Topics []string `yaml:"topics"`
	// Retention is how long the embedded broker keeps records, by record
	// timestamp, before deleting them from DataDir. Default 24h: ingest
	// copies every record to ClickHouse and the archive within seconds, so
	// Kafka only needs enough history to replay an outage. 0 keeps records
	// forever.
	Retention time.Duration `yaml:"retention"`
	// Brokers are the seed brokers (host:port) of an external cluster, used
	// when Embedded is false.
	Brokers []string `yaml:"brokers"`
	// SyncWrites makes the embedded broker fsync every produced batch before
	// acknowledging it: acknowledged records then survive a power loss, not
	// only a process crash. Default false: a kill -9 loses nothing either
	// way, and one fsync per batch costs much of the broker's throughput.
	SyncWrites bool `yaml:"sync_writes"`
	// SASL authenticates clients. With the embedded broker, the credentials
	// become the broker's only (super)user; with an external cluster they are
	// what the client presents. Default: no SASL.
	SASL SASLConfig `yaml:"sasl"`
	// TLS encrypts client connections. With the embedded broker, the
	// certificate and key are what the broker serves. Default: plaintext.
	TLS TLSConfig `yaml:"tls"`
	// ClientID is the client.id logmart's Kafka clients send, visible in
	// broker logs and quotas. Default "logmart".
	ClientID string `yaml:"client_id"`
}

// SASLConfig is the `kafka.sasl:` section.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty disables
	// SASL. PLAIN sends the password in clear text, so pair it with TLS.
	Mechanism string `yaml:"mechanism"`
	// Username is required with a mechanism.
	Username string `yaml:"username"`
	// Password is required with a mechanism.
	Password string `yaml:"password"`
}

// TLSConfig is the `kafka.tls:` section.
type TLSConfig struct {
	// Enabled turns TLS on. Default false.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the authorities trusted to sign the broker
	// certificate. Default empty: the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM certificate and its key. For an external
	// cluster they are the client certificate (mutual TLS, optional); the
	// embedded broker requires them and serves them.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify accepts any broker certificate. For tests and
	// self-signed setups only: it gives up protection against interception.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Default returns the defaults documented on Config: an embedded broker on
// loopback port 9092 with logmart's topics.
func Default() Config {
	return Config{
		Embedded:   true,
		Listen:     "127.0.0.1:9092",
		Partitions: 4,
		Topics:     []string{"logs", "events", "metrics", "logs.dead"},
		Retention:  24 * time.Hour,
		ClientID:   "logmart",
	}
}

// Validate reports the first field a user must fix, named as it is written
// in the config file (kafka.<field>). It does not touch the network or the
// file system: unreadable certificate files are reported by StartEmbedded and
// ClientOpts.
func (c Config) Validate() error {
	if c.Embedded {
		if err := validateHostPort(c.Listen); err != nil {
			return fmt.Errorf("kafka.listen %q is not host:port: %w", c.Listen, err)
		}
		if c.AdvertisedAddr != "" {
			if err := validateHostPort(c.AdvertisedAddr); err != nil {
				return fmt.Errorf("kafka.advertised_addr %q is not host:port: %w", c.AdvertisedAddr, err)
			}
			if strings.HasSuffix(c.AdvertisedAddr, ":0") {
				return fmt.Errorf("kafka.advertised_addr %q needs the port clients connect to, not 0", c.AdvertisedAddr)
			}
		}
		if len(c.Brokers) > 0 {
			return errors.New("kafka.brokers is set but kafka.embedded is true: set kafka.embedded to false to use an external cluster, or remove kafka.brokers")
		}
		if c.TLS.Enabled && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
			return errors.New("kafka.tls.cert_file and kafka.tls.key_file are required when kafka.tls.enabled is true with the embedded broker: it serves that certificate")
		}
	} else {
		if len(c.Brokers) == 0 {
			return errors.New("kafka.brokers is empty: list at least one host:port of the external cluster, or set kafka.embedded to true")
		}
		for i, b := range c.Brokers {
			if err := validateHostPort(b); err != nil {
				return fmt.Errorf("kafka.brokers[%d] %q is not host:port: %w", i, b, err)
			}
		}
	}
	if c.Partitions < 1 || c.Partitions > 10000 {
		return fmt.Errorf("kafka.partitions must be between 1 and 10000, got %d", c.Partitions)
	}
	seen := make(map[string]bool, len(c.Topics))
	for i, t := range c.Topics {
		if err := validateTopic(t); err != nil {
			return fmt.Errorf("kafka.topics[%d] %q is not a valid topic name: %w", i, t, err)
		}
		if seen[t] {
			return fmt.Errorf("kafka.topics[%d] %q is listed twice", i, t)
		}
		seen[t] = true
	}
	if c.Retention < 0 {
		return fmt.Errorf("kafka.retention must be 0 (keep forever) or positive, got %s", c.Retention)
	}
	if c.Retention > 0 && c.Retention < time.Minute {
		return fmt.Errorf("kafka.retention %s is shorter than 1m: records could expire before ingest reads them", c.Retention)
	}
	if err := c.SASL.validate(); err != nil {
		return err
	}
	if err := c.TLS.validate(); err != nil {
		return err
	}
	if len(c.ClientID) > 255 {
		return fmt.Errorf("kafka.client_id is %d characters long, at most 255 allowed", len(c.ClientID))
	}
	return nil
}

func (s SASLConfig) validate() error {
	switch s.Mechanism {
	case "":
		if s.Username != "" || s.Password != "" {
			return errors.New("kafka.sasl.username or kafka.sasl.password is set but kafka.sasl.mechanism is empty: set it to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
		}
		return nil
	case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
	default:
		return fmt.Errorf("kafka.sasl.mechanism %q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", s.Mechanism)
	}
	if s.Username == "" {
		return fmt.Errorf("kafka.sasl.username is required with kafka.sasl.mechanism %s", s.Mechanism)
	}
	if s.Password == "" {
		return fmt.Errorf("kafka.sasl.password is required with kafka.sasl.mechanism %s", s.Mechanism)
	}
	return nil
}

func (t TLSConfig) validate() error {
	if !t.Enabled {
		for _, f := range []struct{ name, v string }{
			{"ca_file", t.CAFile}, {"cert_file", t.CertFile}, {"key_file", t.KeyFile},
		} {
			if f.v != "" {
				return fmt.Errorf("kafka.tls.%s is set but kafka.tls.enabled is false", f.name)
			}
		}
		if t.InsecureSkipVerify {
			return errors.New("kafka.tls.insecure_skip_verify is set but kafka.tls.enabled is false")
		}
		return nil
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return errors.New("kafka.tls.cert_file and kafka.tls.key_file must be set together")
	}
	return nil
}

// validateHostPort accepts host:port with a numeric port in 0-65535. The
// host may be empty (all interfaces), a name or an IP literal.
func validateHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number between 0 and 65535", port)
	}
	return nil
}

// validateTopic applies Kafka's topic name rules: 1-249 characters from
// [a-zA-Z0-9._-], and not "." or "..".
func validateTopic(t string) error {
	switch {
	case t == "":
		return errors.New("empty")
	case t == "." || t == "..":
		return errors.New(`"." and ".." are reserved`)
	case len(t) > 249:
		return fmt.Errorf("%d characters long, at most 249 allowed", len(t))
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("character %q is not allowed; use letters, digits, '.', '_' and '-'", r)
		}
	}
	return nil
}
