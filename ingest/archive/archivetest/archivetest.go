// Package archivetest gives tests an S3-compatible server in process, over
// real HTTP (gofakes3 on an httptest server), with a fault switch in the
// style of kfake's ControlKey, instead of a mock of S3.
package archivetest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is the running server. Objects live in memory for the test's life.
type S3 struct {
	// URL is the endpoint to give the archive (with path-style addressing).
	URL string
	// Backend holds the objects; tests may read it directly.
	Backend *s3mem.Backend

	mu   sync.Mutex
	fail func(r *http.Request) bool
	seen []string
}

// AccessKey is the only access key id the server accepts, as NewS3 sets
// it for the standard chain; a request signed with another is refused
// 403 InvalidAccessKeyId, as AWS refuses it.
const AccessKey = "test"

// NewS3 starts a server holding an empty bucket, stopped when the test
// ends, and sets the AWS credentials the standard chain reads.
func NewS3(t testing.TB, bucket string) *S3 {
	t.Helper()
	s := &S3{Backend: s3mem.New()}
	if err := s.Backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(s.Backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fail := s.fail != nil && s.fail(r)
		s.seen = append(s.seen, r.Method+" "+r.URL.RawQuery)
		s.mu.Unlock()
		if fail {
			http.Error(w, "<Error><Code>ServiceUnavailable</Code><Message>injected by the test</Message></Error>", http.StatusServiceUnavailable)
			return
		}
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+AccessKey+"/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>"))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return s
}

// SetFail makes the server answer 503 to every request fn picks, before
// it reaches the store; nil turns the fault off.
func (s *S3) SetFail(fn func(r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fn
}

// Requests lists the requests seen so far, each as its method and raw
// query ("PUT partNumber=1&uploadId=…"), failed ones included.
func (s *S3) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}
