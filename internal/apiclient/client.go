package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// TokenEnv is the environment variable DefaultConfig reads the token from.
// It is not a flag, so the token stays out of the process list and shell
// history.
const TokenEnv = "LOGMART_TOKEN"

// Config says which server a client talks to and how.
type Config struct {
	// Server is the server's base URL, http:// or https://, with an
	// optional path prefix. Default http://127.0.0.1:8080.
	Server string
	// Token is sent as "Authorization: Bearer <token>"; empty sends none
	// (a server without tokens answers loopback callers). DefaultConfig
	// reads it from LOGMART_TOKEN.
	Token string
	// Timeout bounds each call, from connecting to reading the whole
	// answer. Default 5m: a template over a long range may take minutes.
	Timeout time.Duration
}

// ServerEnv is the environment variable that sets the default server of
// every client command; --server overrides it.
const ServerEnv = "LOGMART_SERVER"

// LocalServer is the server a client talks to when neither --server nor
// LOGMART_SERVER names one.
const LocalServer = "http://127.0.0.1:8080"

// DefaultConfig is the server from LOGMART_SERVER (else the local one), the
// token from LOGMART_TOKEN and a five-minute timeout.
func DefaultConfig() Config {
	server := os.Getenv(ServerEnv)
	if server == "" {
		server = LocalServer
	}
	return Config{Server: server, Token: os.Getenv(TokenEnv), Timeout: 5 * time.Minute}
}

// RegisterFlags adds --server and --timeout to fs, defaulting to c's
// values, so every command that talks to a server spells them alike.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Server, "server", c.Server, "logmart server URL (default $"+ServerEnv+", else "+LocalServer+"); the API token is read from $"+TokenEnv)
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "how long to wait for each answer from the server, e.g. 30s or 10m")
}

// Validate names the flag at fault.
func (c Config) Validate() error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		flag := "--server"
		if env := os.Getenv(ServerEnv); env != "" && env == c.Server {
			flag = "$" + ServerEnv
		}
		return fmt.Errorf("%s %q is not a server URL such as %s", flag, c.Server, LocalServer)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %s", c.Timeout)
	}
	return nil
}

// Client calls one server's API. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New checks cfg and returns a client; it does not contact the server.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{
		base:  strings.TrimRight(cfg.Server, "/"),
		token: cfg.Token,
		http:  &http.Client{Timeout: cfg.Timeout},
	}, nil
}

// Error is an answer with an error status. Its text is the server's own
// message, on one line.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Message is the server's {"error": "..."}, or the status when the
	// answer carries none (a proxy's error page).
	Message string
}

func (e *Error) Error() string {
	if e.Status == http.StatusUnauthorized {
		return e.Message + " (set " + TokenEnv + ")"
	}
	return e.Message
}

// maxErrorText caps the message of an error answer, in bytes.
const maxErrorText = 4096

// endpoint is one documented call: its method, its path as
// server/openapi.yaml writes it ({name} for a path parameter), and zero
// values of its body and answer types (nil for none).
type endpoint struct {
	method, path string
	body, answer any
}

// fill returns ep's path with args filling its {name} parameters in
// order, each escaped.
func (ep endpoint) fill(args []string) (string, error) {
	path := ep.path
	for _, a := range args {
		i, j := strings.IndexByte(path, '{'), strings.IndexByte(path, '}')
		if i < 0 || j < i {
			return "", fmt.Errorf("%s %s takes %d path parameters, got %d", ep.method, ep.path, strings.Count(ep.path, "{"), len(args))
		}
		path = path[:i] + url.PathEscape(a) + path[j+1:]
	}
	return path, nil
}

// call sends body (nil for none) as JSON to ep with args filling the
// path's {name} parameters in order, decodes the answer into out, and
// returns the answer's bytes.
func (c *Client) call(ctx context.Context, ep endpoint, args []string, body, out any) ([]byte, error) {
	path, err := ep.fill(args)
	if err != nil {
		return nil, err
	}
	var b []byte
	hdr := map[string]string{"Accept": "application/json"}
	if body != nil {
		if b, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("cannot encode the request to %s: %w", ep.path, err)
		}
		hdr["Content-Type"] = "application/json"
	}
	_, raw, err := c.send(ctx, ep.method, path, hdr, b)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := decodeAnswer(ep, raw, out); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// decodeAnswer decodes ep's JSON answer into out.
func decodeAnswer(ep endpoint, raw []byte, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("cannot decode the server's answer to %s %s: %w", ep.method, ep.path, err)
	}
	return nil
}

// send sends one request to path (with its query, if any) with the given
// headers and body (nil for none), and returns the answer and its bytes;
// an error status is an *Error.
func (c *Client) send(ctx context.Context, method, path string, hdr map[string]string, body []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	target, _, _ := strings.Cut(path, "?")
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot build the request to %s: %w", target, err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Logmart-Source", "cli")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, c.transportError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the server's answer: %w", c.transportError(err))
	}
	if resp.StatusCode >= 300 {
		return nil, nil, errorAnswer(resp, raw)
	}
	return resp, raw, nil
}

// transportError says in one line why no answer came.
func (c *Client) transportError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the server at %s did not answer within %s (--timeout)", c.base, c.http.Timeout)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("stopped before the server at %s answered", c.base)
	}
	return fmt.Errorf("cannot reach the server at %s (is `logmart serve` running?): %w", c.base, err)
}

// errorAnswer turns an error answer into an *Error: the server's message,
// or the status and a plain-text body's first line.
func errorAnswer(resp *http.Response, raw []byte) *Error {
	e := &Error{Status: resp.StatusCode}
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error != "" {
		e.Message = oneLine(body.Error)
		return e
	}
	e.Message = "server answered " + resp.Status
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/plain" {
		if first, _, _ := strings.Cut(strings.TrimSpace(string(raw)), "\n"); first != "" {
			e.Message += ": " + oneLine(first)
		}
	}
	return e
}

// oneLine joins a message's lines with "; " and caps it at maxErrorText.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	s = strings.Join(lines, "; ")
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "") + "…"
	}
	return s
}
