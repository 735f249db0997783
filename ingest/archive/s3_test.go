package archive

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"

	"github.com/logmart/logmart/ingest/archive/archivetest"
)

func openFakeS3(t *testing.T, f *archivetest.S3, url string) *S3 {
	t.Helper()
	cfg := Default()
	cfg.Enabled, cfg.URL, cfg.Endpoint, cfg.PathStyle, cfg.Region = true, url, f.URL, true, "eu-west-1"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tg, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tg.(*S3)
}

func TestS3Target(t *testing.T) {
	f := archivetest.NewS3(t, "logs-archive")
	tg := openFakeS3(t, f, "s3://logs-archive/team/prod")
	testTarget(t, context.Background(), tg)
	// The prefix is where the objects are, and List hides it.
	objs, err := f.Backend.ListBucket("logs-archive", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs.Contents {
		if !strings.HasPrefix(o.Key, "team/prod/stream=") {
			t.Errorf("object %q is not under the prefix", o.Key)
		}
	}
}

// TestS3MultipartUpload: an object larger than a part goes up in parts and
// reads back whole; one whose completion fails is not visible, and its
// upload is aborted; the retry makes it visible, whole.
func TestS3MultipartUpload(t *testing.T) {
	f := archivetest.NewS3(t, "b")
	tg := openFakeS3(t, f, "s3://b")
	tg.partBytes = minPartBytes
	body := make([]byte, 2*minPartBytes+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	ctx := context.Background()
	key := "stream=a/dt=2026-01-01/hour=00/logs-0-0-99.ndjson.zst"

	// The completion fails: nothing shows.
	f.SetFail(func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Query().Has("uploadId")
	})
	if err := tg.Put(ctx, key, body); err == nil {
		t.Fatalf("Put succeeded though its completion failed: %v", f.Requests())
	}
	f.SetFail(nil)
	if got, err := tg.List(ctx, "stream=a/"); err != nil || len(got) != 0 {
		t.Fatalf("after a failed multipart upload List = %v, %v; want nothing", got, err)
	}
	aborted := false
	for _, s := range f.Requests() {
		aborted = aborted || strings.HasPrefix(s, "DELETE uploadId=")
	}
	if !aborted {
		t.Errorf("the failed upload was not aborted: %v", f.Requests())
	}

	// The retry.
	if err := tg.Put(ctx, key, body); err != nil {
		t.Fatal(err)
	}
	parts := 0
	for _, s := range f.Requests() {
		if strings.HasPrefix(s, "PUT partNumber=") {
			parts++
		}
	}
	if parts != 6 { // three parts, twice
		t.Errorf("%d parts uploaded over two attempts, want 6: %v", parts, f.Requests())
	}
	rc, err := tg.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, _ = got.ReadFrom(rc)
	rc.Close()
	if !bytes.Equal(got.Bytes(), body) {
		t.Fatalf("read back %d bytes, not the %d uploaded", got.Len(), len(body))
	}
}

// TestS3Unreachable: a bucket that does not answer is an error naming the
// object, not a hang or a silent drop.
func TestS3Unreachable(t *testing.T) {
	f := archivetest.NewS3(t, "b")
	tg := openFakeS3(t, f, "s3://b/p")
	f.SetFail(func(*http.Request) bool { return true })
	ctx := context.Background()
	err := tg.Put(ctx, "stream=a/x.ndjson.zst", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "cannot upload archive object s3://b/p/stream=a/x.ndjson.zst") {
		t.Fatalf("Put to a failing store: %v", err)
	}
	f.SetFail(nil)
	if err := tg.Put(ctx, "stream=a/x.ndjson.zst", []byte("x")); err != nil {
		t.Fatalf("Put once the store is back: %v", err)
	}
	// A missing bucket.
	other := openFakeS3(t, f, "s3://no-such-bucket")
	if err := other.Put(ctx, "k", []byte("x")); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("Put to a missing bucket: %v", err)
	}
}

// TestPing: a reachable bucket and a writable folder answer nil; a
// missing bucket, a store that fails and a folder that cannot be written
// name what is wrong.
func TestPing(t *testing.T) {
	ctx := context.Background()
	f := archivetest.NewS3(t, "b")
	if err := openFakeS3(t, f, "s3://b/x").Ping(ctx); err != nil {
		t.Errorf("Ping of a reachable bucket: %v", err)
	}
	if err := openFakeS3(t, f, "s3://nope").Ping(ctx); err == nil || !strings.Contains(err.Error(), "cannot reach the archive bucket s3://nope/") {
		t.Errorf("Ping of a missing bucket: %v", err)
	}
	f.SetFail(func(*http.Request) bool { return true })
	if err := openFakeS3(t, f, "s3://b/x").Ping(ctx); err == nil {
		t.Error("Ping of a failing store succeeded")
	}
	f.SetFail(nil)
	// Wrong credentials: the store's own refusal, named.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAWRONG")
	if err := openFakeS3(t, f, "s3://b/x").Ping(ctx); err == nil || !strings.Contains(err.Error(), "cannot reach the archive bucket s3://b/") || !strings.Contains(err.Error(), "access denied (403): the credentials are wrong") {
		t.Errorf("Ping with wrong credentials: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", archivetest.AccessKey)
	dir := t.TempDir()
	fo, err := OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := fo.Ping(ctx); err != nil {
		t.Errorf("Ping of a writable folder: %v", err)
	}
	// A folder that became a file (or a mount that went away) cannot be
	// written, whoever runs the test.
	gone := &Folder{dir: filepath.Join(dir, "file")}
	if err := os.WriteFile(gone.dir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := gone.Ping(ctx); err == nil || !strings.Contains(err.Error(), "cannot write to the archive folder") {
		t.Errorf("Ping of a folder that is a file: %v", err)
	}
}
