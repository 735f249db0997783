// Package server is logmart's HTTP face: the echo app with routing,
// authentication and roles, the one place errors become status codes, the
// embedded UI, health and Prometheus metrics.
package server

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/logmart/logmart/fault"
)

//go:embed openapi.yaml
var openapiSpec []byte

// Check is one readiness probe: /readyz answers 200 only when all pass.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Deps are the capabilities the server exposes. Nil capabilities leave their
// routes out.
type Deps struct {
	Checks   []Check
	UI       http.Handler
	SQL      SQLRunner
	Logs     LogSearcher
	Overview OverviewSource
	// Ingest adds this replica's partitions to the overview; nil shows
	// none.
	Ingest  IngestHealth
	Streams StreamRules
	// Reload serves POST /api/v1/reload and, for Streams and Templates,
	// their /reload aliases.
	Reload Reloaders
	// Links serves /api/v1/links (shared links).
	Links LinkService
	// Templates serves /api/v1/templates and /api/v1/query.
	Templates TemplateRunner
	// Dashboards serves /api/v1/dashboards.
	Dashboards DashboardStore
	// Promotions serves /api/v1/promotions, with Dashboards.
	Promotions PromotionLog
	// Statements serves /api/v1/statements: progress and cancel of the
	// caller's running statements.
	Statements StatementControl
	// Searches serves /api/v1/searches (saved searches).
	Searches SearchStore
	// Archive serves /api/v1/archive/days: what the raw-record archive
	// holds.
	Archive ArchiveCatalog
	// Rehydrate serves /api/v1/archive/rehydrate: jobs that store archived
	// records again.
	Rehydrate Rehydrations
	// Alerts serves /api/v1/alerts, /notifications, /silences and
	// /monitors.
	Alerts AlertService
	// Budgets serves /api/v1/budgets: each ingest budget's usage,
	// forecast and state.
	Budgets BudgetBook
	// Pipeline serves /api/v1/pipeline/status; nil where this server runs
	// no pipeline.
	Pipeline PipelineStatus
	// TierDisks are the engine's disks per storage tier (store.TierDisks),
	// for the tiers a role or token may read (limits.<role>.tiers,
	// tokens[].tiers); nil: the engine has no tiers to hide.
	TierDisks map[string][]string
	// ScanBudgets counts what callers with a scan budget read today; nil:
	// budgets are not enforced.
	ScanBudgets ScanCounter
	// Gatherer serves /metrics. Default: prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	Version  string
}

// Server is the HTTP server. Create it with New, start it with Run.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	e     *echo.Echo
	auth  *authenticator
	hosts *hostPolicy
}

var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_http_requests_total",
		Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "logmart_http_request_duration_seconds",
		Help:    "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
	}, []string{"route"})
	readyGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_ready",
		Help: "1 when the named readiness check passed at its last run.",
	}, []string{"check"})
)

func init() {
	prometheus.MustRegister(httpRequests, httpDuration, readyGauge)
}

// New builds the server; it does not listen yet. cfg must be validated.
func New(cfg Config, deps Deps, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if deps.Gatherer == nil {
		deps.Gatherer = prometheus.DefaultGatherer
	}
	s := &Server{cfg: cfg, deps: deps, log: log, e: echo.New(), auth: newAuthenticator(cfg, deps.TierDisks), hosts: newHostPolicy(cfg)}
	s.e.HideBanner, s.e.HidePort = true, true
	s.e.HTTPErrorHandler = s.handleError
	s.e.IPExtractor = clientIP(cfg.TrustedProxies)
	s.e.JSONSerializer = streamJSON{}
	s.e.Use(middleware.Recover(), s.observe, s.writeDeadline, s.hosts.check, requireJSONBody, s.limitBody)
	s.routes()
	return s
}

func (s *Server) routes() {
	getHead := []string{http.MethodGet, http.MethodHead}
	s.e.Match(getHead, "/healthz", func(c echo.Context) error { return c.String(200, "ok\n") })
	s.e.Match(getHead, "/readyz", s.readyz)
	s.e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{})), s.auth.middleware, requireRole(RoleViewer))

	api := s.e.Group("/api/v1", s.auth.middleware)
	api.GET("/me", s.me, requireRole(RoleViewer))
	api.GET("/openapi.yaml", func(c echo.Context) error { return c.Blob(200, "application/yaml", openapiSpec) }, requireRole(RoleViewer))
	api.GET("/version", func(c echo.Context) error { return c.JSON(200, map[string]string{"version": s.deps.Version}) }, requireRole(RoleViewer))
	if s.deps.SQL != nil {
		api.POST("/sql", s.sql, requireRole(RoleEditor))
	}
	s.logRoutes(api)
	if s.deps.Overview != nil {
		api.GET("/overview", s.overview, requireRole(RoleViewer))
	}
	if s.deps.Streams != nil {
		api.GET("/streams", s.listStreams, requireRole(RoleViewer))
	}
	s.linkRoutes(api)
	s.templateRoutes(api)
	s.dashboardRoutes(api)
	s.statementRoutes(api)
	s.searchRoutes(api)
	s.panelRoutes(api)
	s.reloadRoutes(api)
	s.archiveRoutes(api)
	s.pipelineRoutes(api)
	s.alertRoutes(api)
	s.budgetRoutes(api)
	s.rehydrateRoutes(api)
	api.Any("/*", s.noRoute)
	if s.deps.UI != nil {
		s.e.Match(getHead, "/*", echo.WrapHandler(s.deps.UI))
	}
}

// Handler is the server's http.Handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.e }

// Listen binds addr for Serve. A port in use is reported with what to do
// about it.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (is another logmart running? choose another with --http-addr): %w", addr, err)
	}
	return ln, nil
}

// Serve answers requests on ln until ctx is done, then drains in-flight
// requests for at most ShutdownTimeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.auth.open {
		s.log.Warn("NO API TOKENS CONFIGURED: every local caller is admin; the server binds to loopback only. Add server.tokens before exposing it.", "addr", ln.Addr().String())
	}
	// WriteTimeout is left unset here: http.Server counts it from the end of
	// the request, so it would cut off queries that are still running within
	// their role's limits. writeDeadline applies it per response instead.
	hs := &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("http server listening", "addr", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("cannot drain http requests: %w", err)
	}
	return nil
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	type result struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error,omitempty"`
	}
	out := struct {
		Ready  bool     `json:"ready"`
		Checks []result `json:"checks"`
	}{Ready: true}
	for _, ch := range s.deps.Checks {
		err := ch.Fn(ctx)
		r := result{Name: ch.Name, OK: err == nil}
		if err != nil {
			r.Error = err.Error()
			out.Ready = false
			readyGauge.WithLabelValues(ch.Name).Set(0)
		} else {
			readyGauge.WithLabelValues(ch.Name).Set(1)
		}
		out.Checks = append(out.Checks, r)
	}
	if !out.Ready {
		return c.JSON(http.StatusServiceUnavailable, out)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) me(c echo.Context) error {
	p, _ := PrincipalFrom(c.Request().Context())
	return c.JSON(200, p)
}

// limits returns the read settings for the request's caller.
func (s *Server) settings(c echo.Context) (Principal, Limits) {
	p, _ := PrincipalFrom(c.Request().Context())
	return p, s.cfg.Limits[p.Role]
}

// clientIP names the client for the access log: the TCP peer, or, when
// the peer is one of trusted (server.trusted_proxies), the nearest address
// in X-Forwarded-For that is not a trusted proxy. Anyone can write the
// header, so from other peers it is ignored.
func clientIP(trusted []string) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, t := range trusted {
		if n, err := parseCIDR(t); err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// limitBody caps a request body at MaxBodyBytes: a Content-Length over it
// is refused at once, and a chunked body is cut off there, which
// decodeJSONBody answers with the same 413. (echo's BodyLimit hands over
// the read that crosses the limit, so a chunked body a little over it was
// decoded whole.)
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return echo.ErrStatusRequestEntityTooLarge
		}
		r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// writeDeadline gives each response WriteTimeout to reach the client, from
// the moment it starts. A client that stops reading is cut off then, and
// whatever its response held is freed.
func (s *Server) writeDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rc := http.NewResponseController(c.Response().Writer)
		// A kept-alive connection still carries the previous response's
		// deadline; the handler's own run time is not bounded here.
		_ = rc.SetWriteDeadline(time.Time{})
		c.Response().Before(func() { _ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout)) })
		return next(c)
	}
}

// observe logs every request with slog and counts it by route.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		code := c.Response().Status
		elapsed := time.Since(start)
		httpRequests.WithLabelValues(route, c.Request().Method, strconv.Itoa(code)).Inc()
		httpDuration.WithLabelValues(route).Observe(elapsed.Seconds())
		if strings.HasPrefix(route, "/api/") {
			s.log.Info("http request", "method", c.Request().Method, "path", c.Request().URL.Path,
				"route", route, "status", code, "duration_ms", elapsed.Milliseconds(),
				"peer", c.Request().RemoteAddr, "client", c.RealIP())
		}
		return nil
	}
}

// handleError is the only place an error becomes an HTTP status. Internal
// errors are logged in full and answered with a generic message: no stack
// traces or engine internals reach the caller.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		// The status is sent; a failure now is the write itself, most often
		// a client that stopped reading before write_timeout ran out.
		s.log.Warn("response cut short", "method", c.Request().Method, "path", c.Request().URL.Path,
			"peer", c.Request().RemoteAddr, "err", err)
		return
	}
	var status int
	var msg string
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		msg = fmt.Sprint(he.Message)
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = fmt.Sprintf("request body is larger than %d bytes", s.cfg.MaxBodyBytes)
		}
	default:
		status, msg = s.statusOf(c, err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, map[string]string{"error": msg})
}

// statusOf is the status and message a capability's error is answered
// with, decided by its kind. An internal error is logged in full and
// answered with a generic message; a RateLimited one sets Retry-After when
// it says when.
func (s *Server) statusOf(c echo.Context, err error) (int, string) {
	switch fault.KindOf(err) {
	case fault.BadInput:
		return http.StatusBadRequest, err.Error()
	case fault.NotFound:
		return http.StatusNotFound, err.Error()
	case fault.Forbidden:
		return http.StatusForbidden, err.Error()
	case fault.Limit:
		return http.StatusUnprocessableEntity, err.Error()
	case fault.Unavailable:
		return http.StatusServiceUnavailable, err.Error()
	case fault.RateLimited:
		if after, ok := fault.RetryAfter(err); ok {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
		}
		return http.StatusTooManyRequests, err.Error()
	}
	s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	return http.StatusInternalServerError, "internal error; see the server log"
}
