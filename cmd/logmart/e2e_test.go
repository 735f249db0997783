package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "logmart-e2e-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "logmart")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot build logmart: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd   *exec.Cmd
	http  string
	kafka string
	logf  *os.File
}

func startServer(t *testing.T, data, httpAddr, kafkaAddr string, extra ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(data, "..", filepath.Base(data)+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--data", data, "--http-addr", httpAddr, "--kafka-addr", kafkaAddr}, extra...)
	cmd := exec.Command(binPath, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &proc{cmd: cmd, http: httpAddr, kafka: kafkaAddr, logf: logf}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.kill()
	t.Fatalf("server did not become ready; see %s", logf.Name())
	return nil
}

func (s *proc) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s.logf.Close()
}

func (s *proc) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s.logf.Close()
}

func (s *proc) sql(t *testing.T, q string) [][]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": q})
	resp, err := http.Post("http://"+s.http+"/api/v1/sql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", q, raw)
	}
	var out struct{ Rows [][]any }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.Rows
}

func produceIDs(t *testing.T, addr string, from, to int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 0, to-from)
	for i := from; i < to; i++ {
		v := fmt.Sprintf(`{"ts":%d,"level":"info","service":"svc-%d","id":"r-%d","message":"record %d %s"}`,
			time.Now().UnixMilli(), i%7, i, i, strings.Repeat("x", 100))
		recs = append(recs, &kgo.Record{Topic: "logs", Key: []byte(fmt.Sprint(i)), Value: []byte(v)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// TestKillNineLosesAndDuplicatesNothing produces N records in rounds; in
// each round the server (with its embedded Kafka and ClickHouse) is killed
// with SIGKILL at a random moment while it ingests. After a last start the
// logs table must hold each record exactly once.
func TestKillNineLosesAndDuplicatesNothing(t *testing.T) {
	const rounds, perRound = 12, 30000
	data := filepath.Join(t.TempDir(), "data")
	httpAddr, kafkaAddr := freePort(t), freePort(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	before := 0.0
	for i := range rounds {
		s := startServer(t, data, httpAddr, kafkaAddr)
		produceIDs(t, kafkaAddr, i*perRound, (i+1)*perRound)
		// Kill while it writes: once this round's first rows are stored,
		// at a random moment soon after.
		for w := time.Now(); time.Since(w) < 30*time.Second; time.Sleep(20 * time.Millisecond) {
			if s.sql(t, "SELECT count() FROM logs")[0][0].(float64) > before {
				break
			}
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		stored := s.sql(t, "SELECT count() FROM logs")[0][0]
		before = stored.(float64)
		s.kill()
		t.Logf("round %d: killed with %v of %d produced records stored", i, stored, (i+1)*perRound)
	}
	s := startServer(t, data, httpAddr, kafkaAddr)
	defer s.stop()
	const n = rounds * perRound
	deadline := time.Now().Add(120 * time.Second)
	var got float64
	for time.Now().Before(deadline) {
		got = s.sql(t, "SELECT count() FROM logs")[0][0].(float64)
		if got >= n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let a duplicate, if any, land
	row := s.sql(t, "SELECT count(), uniqExact(attributes['id']), uniqExact(kafka_partition, kafka_offset) FROM logs")[0]
	if row[0].(float64) != n || row[1].(float64) != n || row[2].(float64) != n {
		t.Fatalf("after %d kills: count %v, distinct ids %v, distinct offsets %v; want %d each", rounds, row[0], row[1], row[2], n)
	}
}

// TestTwoReplicasShareOneKafka runs two servers in one consumer group on the
// first one's embedded Kafka, each with its own ClickHouse: the partitions
// are split between them and together they store every record once.
func TestTwoReplicasShareOneKafka(t *testing.T) {
	const n = 40000
	dir := t.TempDir()
	kafkaAddr := freePort(t)
	a := startServer(t, filepath.Join(dir, "a"), freePort(t), kafkaAddr)
	defer a.stop()
	b := startServer(t, filepath.Join(dir, "b"), freePort(t), kafkaAddr, "--kafka-brokers", kafkaAddr)
	defer b.stop()
	waitGroupMembers(t, kafkaAddr, "logmart-ingest", 2)
	for i := 0; i < n; i += n / 4 {
		produceIDs(t, kafkaAddr, i, i+n/4)
		time.Sleep(500 * time.Millisecond)
	}
	// Both sums identify the multiset of ids: with the count, a lost or
	// doubled record changes at least one of them.
	const q = "SELECT count(), sum(toUInt64(substring(attributes['id'], 3))), sum(pow(toUInt64(substring(attributes['id'], 3)), 2)) FROM logs"
	var wantSum, wantSq float64
	for i := 0; i < n; i++ {
		wantSum += float64(i)
		wantSq += float64(i) * float64(i)
	}
	deadline := time.Now().Add(90 * time.Second)
	var ra, rb []any
	for time.Now().Before(deadline) {
		ra, rb = a.sql(t, q)[0], b.sql(t, q)[0]
		if ra[0].(float64)+rb[0].(float64) >= n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	ra, rb = a.sql(t, q)[0], b.sql(t, q)[0]
	t.Logf("replica a stored %v records, replica b %v", ra[0], rb[0])
	if ra[0].(float64) == 0 || rb[0].(float64) == 0 {
		t.Fatalf("partitions were not split: a %v, b %v", ra[0], rb[0])
	}
	if got := ra[0].(float64) + rb[0].(float64); got != n {
		t.Fatalf("together %v records, want %d", got, n)
	}
	if s := ra[1].(float64) + rb[1].(float64); s != wantSum {
		t.Fatalf("id sum %v, want %v", s, wantSum)
	}
	if s := ra[2].(float64) + rb[2].(float64); s != wantSq {
		t.Fatalf("id square sum %v, want %v", s, wantSq)
	}
}

// waitGroupMembers waits until the consumer group is stable with n members.
func waitGroupMembers(t *testing.T, addr, group string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		gs, err := adm.DescribeGroups(context.Background(), group)
		if err == nil {
			if g, ok := gs[group]; ok && g.State == "Stable" && len(g.Members) == n {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("group %s did not settle with %d members", group, n)
}
