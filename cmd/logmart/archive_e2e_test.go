package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/ingest/archive/archivetest"
)

// archiveObjects counts the objects under the folder archive, hidden
// temporary files aside.
func archiveObjects(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".ndjson.zst") {
			n++
		}
		return nil
	})
	return n
}

// TestKillNineArchivesEveryRecordOnce produces records in rounds and kills
// the server with SIGKILL at a random moment while it archives them (once
// the round's first objects are in the folder archive). After a last
// start, the archive must hold no partial object and each record exactly
// once, as the logs table does, and `archive ls --json` must count them.
func TestKillNineArchivesEveryRecordOnce(t *testing.T) {
	const rounds, perRound = 10, 20000
	data := filepath.Join(t.TempDir(), "data")
	dir := filepath.Join(data, "archive")
	httpAddr, kafkaAddr := freePort(t), freePort(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	for i := range rounds {
		s := startServer(t, data, httpAddr, kafkaAddr)
		before := archiveObjects(t, dir)
		produceIDs(t, kafkaAddr, i*perRound, (i+1)*perRound)
		for w := time.Now(); time.Since(w) < 30*time.Second; time.Sleep(5 * time.Millisecond) {
			if archiveObjects(t, dir) > before {
				break
			}
		}
		time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		objs := archiveObjects(t, dir)
		s.kill()
		t.Logf("round %d: killed with %d archive objects", i, objs)
	}
	s := startServer(t, data, httpAddr, kafkaAddr)
	defer s.stop()
	const n = rounds * perRound
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if s.sql(t, "SELECT count() FROM logs")[0][0].(float64) >= n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let a late upload, if any, land
	row := s.sql(t, "SELECT count(), uniqExact(attributes['id']) FROM logs")[0]
	if row[0].(float64) != n || row[1].(float64) != n {
		t.Fatalf("logs: count %v, distinct ids %v; want %d", row[0], row[1], n)
	}

	// Every file in the archive is a complete object; no temporary file is
	// left once the server has started again.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(d.Name(), ".ndjson.zst") {
			return fmt.Errorf("%s is not an archive object", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := archive.OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	objs := archivedOnce(t, tg, n)

	out, err := exec.Command(binPath, "archive", "ls", "--server", "http://"+httpAddr, "--stream", "default", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("archive ls: %v\n%s", err, out)
	}
	var ls struct {
		Days []struct {
			Stream  string `json:"stream"`
			Records int    `json:"records"`
			Objects int    `json:"objects"`
		} `json:"days"`
	}
	if err := json.Unmarshal(out, &ls); err != nil {
		t.Fatalf("archive ls --json: %v\n%s", err, out)
	}
	records, objects := 0, 0
	for _, d := range ls.Days {
		records += d.Records
		objects += d.Objects
	}
	if records != n || objects != len(objs) {
		t.Fatalf("archive ls counts %d records in %d objects; the archive holds %d in %d", records, objects, n, len(objs))
	}

	// Rehydrating the day while its rows are all stored stores nothing.
	out, err = exec.Command(binPath, "archive", "rehydrate", "--server", "http://"+httpAddr, "--stream", "default",
		"--from", "now-1d", "--to", "now+1h", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("archive rehydrate: %v\n%s", err, out)
	}
	var job struct {
		State    string `json:"state"`
		Progress struct {
			Records       int `json:"records"`
			Stored        int `json:"rows_stored"`
			AlreadyStored int `json:"already_stored"`
		} `json:"progress"`
	}
	if err := json.Unmarshal(out, &job); err != nil {
		t.Fatalf("archive rehydrate --json: %v\n%s", err, out)
	}
	if job.State != "done" || job.Progress.Stored != 0 || job.Progress.AlreadyStored != n {
		t.Fatalf("rehydrating what logs holds: %s", out)
	}
	if got := s.sql(t, "SELECT count() FROM logs")[0][0].(float64); got != n {
		t.Fatalf("logs holds %v rows after the rehydration, want %d", got, n)
	}
}

// TestServeRefusesAnUnreachableArchive: an archive bucket nobody answers
// for stops serve at start with one line naming it, instead of a server
// whose partitions stall waiting for it.
func TestServeRefusesAnUnreachableArchive(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "logmart.yaml")
	yaml := "ingest:\n  archive: {enabled: true, url: s3://nope/logs, endpoint: \"http://" + freePort(t) + "\", path_style: true, region: eu-west-1}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "serve", "--config", cfg, "--data", filepath.Join(dir, "data"),
		"--http-addr", freePort(t), "--kafka-addr", freePort(t))
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started with an unreachable archive:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "logmart serve: cannot reach the archive bucket s3://nope/logs/") || !strings.HasSuffix(last, "(ingest.archive)") {
		t.Fatalf("last line %q; output:\n%s", last, out)
	}

	// A bucket that answers, with wrong credentials: one line says so, and
	// nothing is written to it.
	f := archivetest.NewS3(t, "logs-archive")
	yaml = "ingest:\n  archive: {enabled: true, url: s3://logs-archive/p, endpoint: \"" + f.URL + "\", path_style: true, region: eu-west-1}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(binPath, "serve", "--config", cfg, "--data", filepath.Join(dir, "data2"),
		"--http-addr", freePort(t), "--kafka-addr", freePort(t))
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIAWRONGKEY", "AWS_SECRET_ACCESS_KEY=wrong", "AWS_EC2_METADATA_DISABLED=true")
	out, err = cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started with wrong archive credentials:\n%s", out)
	}
	lines = strings.Split(strings.TrimSpace(string(out)), "\n")
	last = lines[len(lines)-1]
	if !strings.HasPrefix(last, "logmart serve: cannot reach the archive bucket s3://logs-archive/p/: access denied (403): the credentials are wrong") {
		t.Fatalf("last line %q; output:\n%s", last, out)
	}
	if objs, err := f.Backend.ListBucket("logs-archive", nil, gofakes3.ListBucketPage{}); err != nil || len(objs.Contents) != 0 {
		t.Fatalf("the bucket holds %v (%v) after a refused start", objs, err)
	}
}

// archivedOnce reads every object of the archive and fails unless each of
// the n records r-0 … r-(n-1) is in it exactly once, and every object
// decompresses whole; it returns the objects.
func archivedOnce(t *testing.T, tg archive.Target, n int) []archive.ObjectInfo {
	t.Helper()
	objs, err := tg.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{} // id → object
	offsets := map[string]bool{}
	for _, o := range objs {
		err := archive.Scan(context.Background(), tg, o.Key, func(l archive.Line) error {
			var rec struct{ ID string }
			if err := json.Unmarshal([]byte(l.Raw), &rec); err != nil {
				return fmt.Errorf("%s offset %d: %w", o.Key, l.Offset, err)
			}
			if prev, dup := seen[rec.ID]; dup {
				return fmt.Errorf("record %s is archived twice: in %s and %s", rec.ID, prev, o.Key)
			}
			seen[rec.ID] = o.Key
			offsets[fmt.Sprintf("%d/%d", l.Partition, l.Offset)] = true
			return nil
		})
		if err != nil {
			t.Fatal(err) // a partial object fails to decompress here
		}
	}
	for i := range n {
		if _, ok := seen[fmt.Sprintf("r-%d", i)]; !ok {
			t.Fatalf("record r-%d is not archived (%d of %d are)", i, len(seen), n)
		}
	}
	if len(seen) != n || len(offsets) != n {
		t.Fatalf("archived %d ids at %d offsets, want %d", len(seen), len(offsets), n)
	}
	return objs
}

// TestKillNineArchivesToS3OnceEach: the same, ten kills, with the archive in an
// S3-compatible store (gofakes3 in this test's process, over HTTP, so it
// outlives the server): SIGKILL in the middle of uploads leaves no partial
// object and no record twice.
func TestKillNineArchivesToS3OnceEach(t *testing.T) {
	const rounds, perRound = 10, 20000
	s3 := archivetest.NewS3(t, "archive")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "logmart.yaml")
	yaml := "ingest:\n  archive: {enabled: true, url: s3://archive/logmart, endpoint: \"" + s3.URL + "\", path_style: true, region: eu-west-1}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	acfg := archive.Default()
	acfg.Enabled, acfg.URL, acfg.Endpoint, acfg.PathStyle, acfg.Region = true, "s3://archive/logmart", s3.URL, true, "eu-west-1"
	tg, err := archive.Open(context.Background(), acfg)
	if err != nil {
		t.Fatal(err)
	}
	puts := func() int {
		n := 0
		for _, r := range s3.Requests() {
			if strings.HasPrefix(r, "PUT ") {
				n++
			}
		}
		return n
	}
	httpAddr, kafkaAddr := freePort(t), freePort(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 23))
	for i := range rounds {
		s := startServer(t, data, httpAddr, kafkaAddr, "--config", cfg)
		before := puts()
		produceIDs(t, kafkaAddr, i*perRound, (i+1)*perRound)
		for w := time.Now(); time.Since(w) < 30*time.Second && puts() == before; time.Sleep(2 * time.Millisecond) {
		}
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		s.kill()
		t.Logf("round %d: killed after %d uploads", i, puts()-before)
	}
	s := startServer(t, data, httpAddr, kafkaAddr, "--config", cfg)
	defer s.stop()
	const n = rounds * perRound
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if s.sql(t, "SELECT count() FROM logs")[0][0].(float64) >= n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if got := s.sql(t, "SELECT count() FROM logs")[0][0].(float64); got != n {
		t.Fatalf("logs holds %v rows, want %d", got, n)
	}
	archivedOnce(t, tg, n)
}
