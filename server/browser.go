package server

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
)

// A browser can be made to reach a server on the user's machine by any web
// page: through DNS rebinding (a name the attacker controls resolves to
// 127.0.0.1) it can read answers, and through cross-site POSTs it can change
// state without reading anything. Without tokens every caller is admin, so
// both would be an admin's session. The checks here refuse what a browser
// sends in those cases and nothing a same-origin page or a non-browser
// client (CLI, curl, a proxy) sends.

// hostPolicy holds server.allowed_hosts, parsed.
type hostPolicy struct {
	any       bool            // "*", or the default for a server bound to every interface
	names     map[string]bool // entries without a port: any port
	hostPorts map[string]bool // entries with a port, as net.JoinHostPort
}

// newHostPolicy parses cfg.AllowedHosts, or builds the default from
// cfg.HTTPAddr (see Config.AllowedHosts). cfg must be validated.
func newHostPolicy(cfg Config) *hostPolicy {
	p := &hostPolicy{names: map[string]bool{}, hostPorts: map[string]bool{}}
	entries := cfg.AllowedHosts
	if len(entries) == 0 {
		host, _, _ := net.SplitHostPort(cfg.HTTPAddr)
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			p.any = true
			return p
		}
		entries = []string{host, "localhost", "127.0.0.1", "::1"}
	}
	for _, e := range entries {
		if e == "*" {
			p.any = true
			continue
		}
		host, port, ok := parseHostEntry(e)
		switch {
		case !ok:
		case port == "":
			p.names[host] = true
		default:
			p.hostPorts[net.JoinHostPort(host, port)] = true
		}
	}
	return p
}

var (
	hostNameRe = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$`)
	portRe     = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// parseHostEntry splits a Host header or an allowed_hosts entry ("name",
// "name:port", "[::1]", "[::1]:8080", "::1") into a lower-case host without
// brackets and a port, "" when there is none.
func parseHostEntry(s string) (host, port string, ok bool) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if !portRe.MatchString(port) {
			return "", "", false
		}
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	} else {
		host = s
	}
	host = strings.ToLower(host)
	if ip := net.ParseIP(host); ip != nil {
		return host, port, true
	}
	if strings.Contains(host, ":") || !hostNameRe.MatchString(host) {
		return "", "", false
	}
	return host, port, true
}

// matches reports whether hostport (a Host header, or an Origin's host) is
// one of the entries; "*" is not consulted.
func (p *hostPolicy) matches(hostport string) bool {
	host, port, ok := parseHostEntry(hostport)
	if !ok {
		return false
	}
	return p.names[host] || port != "" && p.hostPorts[net.JoinHostPort(host, port)]
}

// check refuses a Host the server does not answer to, and a state-changing
// request a browser sent from another site: one marked Sec-Fetch-Site:
// cross-site, or whose Origin is neither the Host itself nor an allowed
// host. Requests without those headers come from non-browser clients and
// pass.
func (p *hostPolicy) check(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !p.any && !p.matches(r.Host) {
			return fault.New(fault.Forbidden, "host %q is not one this server answers to: add it to server.allowed_hosts", r.Host)
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return fault.New(fault.Forbidden, "cross-site %s refused: the request came from another site's page", r.Method)
		}
		if origin := r.Header.Get("Origin"); origin != "" && !p.sameSite(origin, r.Host) {
			return fault.New(fault.Forbidden, "cross-site %s refused: origin %q is not this server (add its host to server.allowed_hosts if it is)", r.Method, origin)
		}
		return next(c)
	}
}

// sameSite reports whether an Origin header names the server: its host is
// the request's Host, or an allowed host. "null" (a sandboxed or local
// page) never does.
func (p *hostPolicy) sameSite(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	return strings.EqualFold(u.Host, host) || p.matches(u.Host)
}

// requireJSONBody refuses a state-changing request whose body is not
// declared application/json (or YAML, which PUT /api/v1/dashboards/{uid}
// takes from promotion; each handler still checks its own type). Browsers
// send text/plain, form and multipart bodies across sites without asking;
// a JSON or YAML body needs a CORS preflight, which this server never
// grants. Requests without a body pass.
func requireJSONBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if ct := r.Header.Get("Content-Type"); r.ContentLength != 0 && !isYAMLType(ct) {
			if err := checkJSONContentType(ct); err != nil {
				return err
			}
		}
		return next(c)
	}
}
