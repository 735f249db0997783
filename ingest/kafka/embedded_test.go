package kafka

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testConfig is an embedded broker on a free loopback port persisting to a
// fresh directory.
func testConfig(t *testing.T) Config {
	cfg := Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(t.TempDir(), "kafka")
	return cfg
}

func startTest(t *testing.T, cfg Config) *Embedded {
	t.Helper()
	e, err := StartEmbedded(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return nil
}

func newClient(t testing.TB, cfg Config, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts, err := ClientOpts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(t testing.TB, cl *kgo.Client, topic string, from, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, 0, n)
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{
			Topic: topic,
			Key:   []byte(fmt.Sprintf("svc-%d", i%7)),
			Value: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("cannot produce to %q: %v", topic, err)
	}
}

// consume reads topic from the start until it holds want records, and fails
// if it holds more.
func consume(t *testing.T, cfg Config, topic string, want int) map[string]int {
	t.Helper()
	cl := newClient(t, cfg, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := map[string]int{}
	n := 0
	for n < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records from %q before timing out", n, want, topic)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("cannot consume %q[%d]: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++; n++ })
	}
	// Anything beyond want arrives in the next short poll.
	extra, cancelExtra := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelExtra()
	cl.PollFetches(extra).EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++; n++ })
	if n != want {
		t.Fatalf("topic %q holds %d records, want %d", topic, n, want)
	}
	return seen
}

func checkSeen(t *testing.T, seen map[string]int, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		v := fmt.Sprintf(`{"n":%d}`, i)
		if seen[v] != 1 {
			t.Fatalf("record %s seen %d times, want once", v, seen[v])
		}
	}
}

func TestEmbeddedProduceConsume(t *testing.T) {
	e := startTest(t, testConfig(t))
	host, port, _ := net.SplitHostPort(e.Addr())
	if host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1 and a real port", e.Addr())
	}
	cfg := e.Config()
	cl := newClient(t, cfg, kgo.AllowAutoTopicCreation())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Ping(ctx, cl, "logs", "events", "metrics", "logs.dead"); err != nil {
		t.Fatalf("Ping with the seeded topics: %v", err)
	}
	err := Ping(ctx, cl, "no.such.topic")
	if err == nil || !strings.Contains(err.Error(), `kafka topic "no.such.topic" is not available`) {
		t.Fatalf("Ping(no.such.topic) = %v, want a topic-not-available error", err)
	}

	// Seeded topics have the configured partition count.
	req := newMetadata("logs")
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(resp.Topics[0].Partitions); got != 4 {
		t.Fatalf("logs has %d partitions, want 4", got)
	}
	// The broker advertises the address it is bound to.
	if b := resp.Brokers[0]; net.JoinHostPort(b.Host, fmt.Sprint(b.Port)) != e.Addr() {
		t.Fatalf("advertised %s:%d, want %s", b.Host, b.Port, e.Addr())
	}

	produce(t, cl, "logs", 0, 1000)
	checkSeen(t, consume(t, cfg, "logs", 1000), 0, 1000)

	// Topics outside the config are created on first produce.
	produce(t, cl, "cc.raw", 0, 10)
	checkSeen(t, consume(t, cfg, "cc.raw", 10), 0, 10)
}

func TestEmbeddedPersistsAcrossRestart(t *testing.T) {
	cfg := testConfig(t)
	e, err := StartEmbedded(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, e.Config(), kgo.AllowAutoTopicCreation())
	produce(t, cl, "logs", 0, 500)
	produce(t, cl, "auto.created", 0, 20)
	cl.Close()
	e.Close()

	// A topic added to the config after the first start is created on the
	// next one, even though the data directory already exists.
	cfg.Topics = append(cfg.Topics, "added.later")
	e = startTest(t, cfg)
	cl = newClient(t, e.Config())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Ping(ctx, cl, "logs", "auto.created", "added.later"); err != nil {
		t.Fatal(err)
	}
	produce(t, cl, "logs", 500, 100)
	checkSeen(t, consume(t, e.Config(), "logs", 600), 0, 600)
	checkSeen(t, consume(t, e.Config(), "auto.created", 20), 0, 20)
}

// TestEmbeddedSurvivesKill kills a broker process with SIGKILL right after
// its produce acknowledgements and checks that a broker reopening the data
// directory serves every acknowledged record: an ack must mean the batch was
// written to the data directory. It runs without sync_writes: the kernel
// keeps written pages through a kill, so fsync matters only for power loss.
func TestEmbeddedSurvivesKill(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kafka")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LOGMART_KAFKA_HELPER_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	sc := bufio.NewScanner(out)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("the broker process did not report its address")
	}

	cfg := Default()
	cfg.Listen = addr
	cl := newClient(t, cfg, kgo.RequiredAcks(kgo.AllISRAcks()))
	const n = 2000
	for i := 0; i < n; i += 100 {
		produce(t, cl, "logs", i, 100)
	}
	cl.Close()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true

	rcfg := testConfig(t)
	rcfg.DataDir = dir
	e := startTest(t, rcfg)
	checkSeen(t, consume(t, e.Config(), "logs", n), 0, n)
}

// TestMain turns the test binary into the broker TestEmbeddedSurvivesKill
// kills when LOGMART_KAFKA_HELPER_DIR is set.
func TestMain(m *testing.M) {
	dir := os.Getenv("LOGMART_KAFKA_HELPER_DIR")
	if dir == "" {
		os.Exit(m.Run())
	}
	cfg := Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	e, err := StartEmbedded(cfg, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("LISTENING %s\n", e.Addr())
	select {}
}

func TestEmbeddedPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
	cfg.Listen = ln.Addr().String()
	_, err = StartEmbedded(cfg, nil)
	if err == nil {
		t.Fatal("started on a port in use")
	}
	for _, want := range []string{fmt.Sprintf("kafka.listen %q", cfg.Listen), "already in use", "--kafka-addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestEmbeddedRejectsBadConfig(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = "abc"
	if _, err := StartEmbedded(cfg, nil); err == nil || !strings.Contains(err.Error(), `kafka.listen "abc" is not host:port`) {
		t.Fatalf("StartEmbedded(listen abc) = %v", err)
	}
	cfg = testConfig(t)
	cfg.Embedded = false
	cfg.Brokers = []string{"k:9092"}
	if _, err := StartEmbedded(cfg, nil); err == nil || !strings.Contains(err.Error(), "kafka.embedded is false") {
		t.Fatalf("StartEmbedded(embedded false) = %v", err)
	}
	// Port 0 cannot be dialed; Embedded.Config() carries the real port.
	if _, err := ClientOpts(testConfig(t)); err == nil || !strings.Contains(err.Error(), "Embedded.Config()") {
		t.Fatalf("ClientOpts(port 0) = %v", err)
	}
}

func TestEmbeddedSASL(t *testing.T) {
	cfg := testConfig(t)
	cfg.SASL = SASLConfig{Mechanism: MechanismScramSHA256, Username: "ingest", Password: "first"}
	e, err := StartEmbedded(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	good := e.Config()
	produce(t, newClient(t, good), "logs", 0, 10)

	bad := good
	bad.SASL.Password = "wrong"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Ping(ctx, newClient(t, bad, kgo.RequestRetries(0)), "logs"); err == nil {
		t.Fatal("Ping with a wrong password succeeded")
	}
	none := good
	none.SASL = SASLConfig{}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if err := Ping(ctx2, newClient(t, none, kgo.RequestRetries(0))); err == nil {
		t.Fatal("Ping without SASL succeeded against a SASL broker")
	}
	e.Close()

	// The config is the source of truth: a changed password applies on
	// restart over the users persisted in the data directory.
	cfg.SASL.Password = "second"
	cfg.SASL.Mechanism = MechanismPlain
	e = startTest(t, cfg)
	checkSeen(t, consume(t, e.Config(), "logs", 10), 0, 10)
}

func TestEmbeddedTLS(t *testing.T) {
	certFile, keyFile := selfSignedCert(t)
	cfg := testConfig(t)
	cfg.TLS = TLSConfig{Enabled: true, CertFile: certFile, KeyFile: keyFile}
	e := startTest(t, cfg)
	produce(t, newClient(t, e.Config()), "logs", 0, 10)
	checkSeen(t, consume(t, e.Config(), "logs", 10), 0, 10)

	plain := e.Config()
	plain.TLS = TLSConfig{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := Ping(ctx, newClient(t, plain, kgo.RequestRetries(0))); err == nil {
		t.Fatal("a plaintext client reached the TLS broker")
	}
}

// TestClientOptsExternal uses the external-cluster path (embedded: false)
// against a broker started separately, as in production.
func TestClientOptsExternal(t *testing.T) {
	e := startTest(t, testConfig(t))
	cfg := Default()
	cfg.Embedded = false
	cfg.Brokers = []string{e.Addr()}
	cfg.ClientID = "logmart-test"
	cl := newClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Ping(ctx, cl, "logs"); err != nil {
		t.Fatal(err)
	}
	produce(t, cl, "events", 0, 50)
	checkSeen(t, consume(t, cfg, "events", 50), 0, 50)

	// Unreadable certificate files are named in the error.
	cfg.TLS = TLSConfig{Enabled: true, CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	if _, err := ClientOpts(cfg); err == nil || !strings.Contains(err.Error(), "cannot read kafka.tls.ca_file") {
		t.Fatalf("ClientOpts(missing ca_file) = %v", err)
	}
}

func TestLoopbackIfUnspecified(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := loopbackIfUnspecified(in); got != want {
			t.Errorf("loopbackIfUnspecified(%q) = %q, want %q", in, got, want)
		}
	}
	f("0.0.0.0:9092", "127.0.0.1:9092")
	f("[::]:9092", "127.0.0.1:9092")
	f(":9092", "127.0.0.1:9092")
	f("10.1.2.3:9092", "10.1.2.3:9092")
	f("kafka.local:9092", "kafka.local:9092")
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key.
func selfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "logmart test broker"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func newMetadata(topics ...string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	return req
}
