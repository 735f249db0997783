package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ClientOpts returns the franz-go options that connect a client to the
// cluster cfg describes: the seed brokers (the embedded listener, or
// cfg.Brokers), client.id, SASL and TLS. Ingest consumers and the demo
// producer append their own consumer or producer options.
//
// With the embedded broker on port 0, pass Embedded.Config(), which carries
// the bound port. With embedded TLS and no kafka.tls.ca_file, the client
// trusts the certificate the broker serves, so a self-signed certificate
// works without further setup; it must name the host clients dial (for
// 127.0.0.1, an IP SAN).
func ClientOpts(cfg Config) ([]kgo.Opt, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var seeds []string
	if cfg.Embedded {
		if _, port, _ := net.SplitHostPort(cfg.Listen); port == "0" {
			return nil, fmt.Errorf("kafka.listen %q has port 0, which a client cannot dial: pass Embedded.Config() to reach the bound port", cfg.Listen)
		}
		seeds = []string{loopbackIfUnspecified(cfg.Listen)}
	} else {
		seeds = cfg.Brokers
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...)}
	if cfg.ClientID != "" {
		opts = append(opts, kgo.ClientID(cfg.ClientID))
	}

	switch s := cfg.SASL; s.Mechanism {
	case MechanismPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()))
	case MechanismScramSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()))
	case MechanismScramSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()))
	}

	if cfg.TLS.Enabled {
		tc, err := clientTLS(cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts, nil
}

func clientTLS(cfg Config) (*tls.Config, error) {
	t := cfg.TLS
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in, documented on the field
	caFile, caField := t.CAFile, "kafka.tls.ca_file"
	if caFile == "" && cfg.Embedded {
		// Trust what the embedded broker serves.
		caFile, caField = t.CertFile, "kafka.tls.cert_file"
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s %q: %w", caField, caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cannot use %s %q: it holds no PEM certificate", caField, caFile)
		}
		tc.RootCAs = pool
	}
	if !cfg.Embedded && t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load kafka.tls.cert_file %q and kafka.tls.key_file %q: %w", t.CertFile, t.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Ping asks the cluster for metadata and reports whether it answers, for
// /readyz. Each topic given must exist and have every partition led by a
// broker; without topics, Ping only checks that a broker answers. It waits
// for as long as ctx allows: franz-go retries a broker that refuses the
// connection, so pass a context with a deadline.
func Ping(ctx context.Context, cl *kgo.Client, topics ...string) error {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = make([]kmsg.MetadataRequestTopic, 0, len(topics))
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("cannot reach Kafka: %w", err)
	}
	if len(resp.Brokers) == 0 {
		return errors.New("cannot reach Kafka: the metadata response lists no brokers")
	}
	for _, t := range resp.Topics {
		name := ""
		if t.Topic != nil {
			name = *t.Topic
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("kafka topic %q is not available: %w", name, err)
		}
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("kafka topic %q partition %d is not available: %w", name, p.Partition, err)
			}
			if p.Leader < 0 {
				return fmt.Errorf("kafka topic %q partition %d has no leader", name, p.Partition)
			}
		}
	}
	return nil
}
