package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

// TrustOptions configure `logmart bench trust`.
type TrustOptions struct {
	// Clients run at once, each with its own token; Duration is how long.
	Clients  int
	Duration time.Duration
	// Rows is how many demo-shaped log rows the templates read.
	Rows int
	// TemplatesDir holds the shipped templates.
	TemplatesDir string
	Log          *slog.Logger
}

// TrustResult is what `logmart bench trust --json` prints. WrongAnswers
// counts 200 answers that are not their own statement's result; ServerErrors
// counts 5xx answers. Both must be zero.
type TrustResult struct {
	Clients      int            `json:"clients"`
	Seconds      float64        `json:"seconds"`
	Requests     int            `json:"requests"`
	ByKind       map[string]int `json:"by_kind"`
	WrongAnswers int            `json:"wrong_answers"`
	ServerErrors int            `json:"server_errors"`
	Unexpected   []string       `json:"unexpected,omitempty"`
	P50Ms        float64        `json:"p50_ms"`
	P95Ms        float64        `json:"p95_ms"`
	P99Ms        float64        `json:"p99_ms"`
}

// Trust serves the API with tokens (editors, viewers, a scoped viewer) and
// has Clients callers hammer it for Duration with a mix of statements: ad
// hoc SQL tagged with a value only its own answer can hold, statements that
// fail after their output has begun, hostile reads that must be refused,
// and templates whose answer must have the template's own columns. Every
// answer is checked against what its own request must return.
func Trust(ctx context.Context, o TrustOptions) (TrustResult, error) {
	res := TrustResult{ByKind: map[string]int{}}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clients < 1 || o.Duration <= 0 || o.Rows < 1000 {
		return res, errors.New("clients must be at least 1, duration positive, rows at least 1000")
	}
	dir, err := os.MkdirTemp("", "logmart-bench-trust-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	ccfg := chdb.Default()
	ccfg.Path = dir
	st, err := chdb.Open(ccfg, "bench", quiet(o.Log))
	if err != nil {
		return res, err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st, quiet(o.Log)); err != nil {
		return res, err
	}
	if err := generate(ctx, st, o.Rows); err != nil {
		return res, err
	}
	scfg := server.Default()
	runner := query.NewRunner(store.NewGated(st, scfg.QueryBudgets(), scfg.QueryQueueTimeout), nil)
	qcfg := query.DefaultConfig()
	qcfg.Dir = o.TemplatesDir
	catalog := query.NewCatalog(qcfg, runner, quiet(o.Log))
	if err := catalog.Load(ctx); err != nil {
		return res, err
	}
	for i := range o.Clients {
		role := server.RoleEditor
		if i%2 == 1 {
			role = server.RoleViewer
		}
		scfg.Tokens = append(scfg.Tokens, server.TokenConfig{Name: fmt.Sprintf("client-%d", i), Token: fmt.Sprintf("trust-token-%04d-0123456789", i), Role: role})
	}
	if err := scfg.Validate(); err != nil {
		return res, err
	}
	srv := httptest.NewServer(server.New(scfg, server.Deps{Templates: catalog, SQL: runner}, nil).Handler())
	defer srv.Close()
	infos := catalog.List(ctx, server.Principal{Role: server.RoleAdmin}.Settings(scfg.Limits[server.RoleAdmin]))

	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	note := func(kind string, d time.Duration, wrong, s5xx bool, what string) {
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		res.ByKind[kind]++
		lat = append(lat, d)
		if wrong {
			res.WrongAnswers++
		}
		if s5xx {
			res.ServerErrors++
		}
		if (wrong || s5xx) && len(res.Unexpected) < 20 {
			res.Unexpected = append(res.Unexpected, what)
		}
	}
	end := time.Now().Add(o.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.Clients {
		token := fmt.Sprintf("trust-token-%04d-0123456789", i)
		editor := i%2 == 0
		wg.Go(func() {
			for n := 0; time.Now().Before(end) && ctx.Err() == nil; n++ {
				kind, body, path := "template", "", "/api/v1/query"
				tag := fmt.Sprintf("c%d-n%d", i, n)
				var tpl query.TemplateInfo
				switch {
				case editor && n%4 == 0:
					kind, path = "sql", "/api/v1/sql"
					body = fmt.Sprintf(`{"sql":"SELECT '%s' AS tag, number AS n FROM numbers(%d)"}`, tag, 1+n%5)
				case editor && n%4 == 1:
					kind, path = "poison", "/api/v1/sql"
					body = `{"sql":"SELECT number AS secret, toUInt64(if(number < 200000, toString(number), 'boom')) AS v FROM numbers(300000)"}`
				case editor && n%4 == 2:
					kind, path = "hostile", "/api/v1/sql"
					body = []string{`{"sql":"SELECT file('/proc/self/environ')"}`, `{"sql":"KILL QUERY WHERE 1"}`, `{"sql":"USE system"}`}[n%3]
				default:
					tpl = infos[(i+n)%len(infos)]
					b, _ := json.Marshal(map[string]any{"template": tpl.ID, "params": sampleParams[tpl.ID], "from": "now-1h", "to": "now"})
					body = string(b)
				}
				t0 := time.Now()
				code, out, err := post(srv.URL+path, token, body)
				d := time.Since(t0)
				if err != nil {
					note(kind, d, false, true, fmt.Sprintf("%s: %v", kind, err))
					continue
				}
				wrong := false
				switch kind {
				case "sql":
					wrong = code != 200 || !ownAnswer(out, tag, 1+n%5)
				case "poison":
					wrong = code == 200
				case "hostile":
					wrong = code != 403
				case "template":
					wrong = code == 200 && !templateColumns(out, tpl.ID)
				}
				note(kind, d, wrong, code >= 500, fmt.Sprintf("%s %d: %.300s", kind, code, out))
			}
		})
	}
	wg.Wait()
	res.Clients, res.Seconds = o.Clients, round1(time.Since(start).Seconds())
	res.P50Ms, res.P95Ms, res.P99Ms = ms1(pct(lat, 50)), ms1(pct(lat, 95)), ms1(pct(lat, 99))
	return res, nil
}

func post(url, token, body string) (int, []byte, error) {
	req, err := http.NewRequest("POST", url, bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// ownAnswer reports whether raw is the answer of SELECT '<tag>' AS tag,
// number AS n FROM numbers(rows).
func ownAnswer(raw []byte, tag string, rows int) bool {
	var out struct {
		Columns []store.Column `json:"columns"`
		Rows    [][]any        `json:"rows"`
	}
	if json.Unmarshal(raw, &out) != nil || len(out.Columns) != 2 || out.Columns[0].Name != "tag" || len(out.Rows) != rows {
		return false
	}
	for i, r := range out.Rows {
		if len(r) != 2 || r[0] != tag || fmt.Sprint(r[1]) != fmt.Sprint(i) {
			return false
		}
	}
	return true
}

// templateColumns reports whether raw answers template id: it names the
// template, and no column of another statement (secret, v, tag) is in it.
func templateColumns(raw []byte, id string) bool {
	var out struct {
		Template struct {
			ID string `json:"id"`
		} `json:"template"`
		Columns []store.Column `json:"columns"`
	}
	if json.Unmarshal(raw, &out) != nil || out.Template.ID != id {
		return false
	}
	for _, c := range out.Columns {
		if c.Name == "secret" || c.Name == "tag" {
			return false
		}
	}
	return true
}
