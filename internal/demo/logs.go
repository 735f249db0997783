package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// LogLine appends one log record of the logs topic to dst and returns it: a
// JSON object for a service and region drawn from r, as that service logs in
// normal operation (no incident), stamped now. It uses only r and now, so
// benchmarks get realistic bytes, reproducibly, without a Generator; with a
// dst of 1 KiB capacity it does not allocate.
//
// Keys, in order: timestamp (RFC 3339 with nanoseconds, UTC), level (debug,
// info, warn, error), service, host, region, message, http (method, path,
// status, latency_ms; request lines only), trace_id (32 hex digits), user
// (on some requests).
func LogLine(r *rand.Rand, now time.Time, dst []byte) []byte {
	dst, _ = appendLog(dst, r, now, pickService(r), pickRegion(r), false, false)
	return dst
}

// CompactLogLine appends a line of the compact shape many services log,
// about 230 bytes: LogLine's keys without http and user, so a request's
// method, path, status and latency are in its message only.
func CompactLogLine(r *rand.Rand, now time.Time, dst []byte) []byte {
	dst, _ = appendLog(dst, r, now, pickService(r), pickRegion(r), false, true)
	return dst
}

// logOutcome is what a log line says about a request, for the metrics the
// service exposes.
type logOutcome struct {
	http      bool
	status    int
	latencyMs int
	level     string
}

// appendLog appends one log line of services[si] in regions[ri]. During an
// incident most lines are failures: 5xx responses, crashes, incident
// messages. A compact line leaves out the http object and the user.
func appendLog(dst []byte, r *rand.Rand, now time.Time, si, ri int, incident, compact bool) ([]byte, logOutcome) {
	s := &services[si]
	tc := tmplCtx{r: r, s: s, region: regions[ri].name}
	host := hosts[si][ri][r.IntN(len(hosts[si][ri]))]

	var (
		out     logOutcome
		ep      *endpoint
		msg     []byte
		scratch [384]byte
		pathBuf [96]byte
		path    []byte
	)
	kind := 0 // 0 request, 1 debug, 2 info, 3 warn, 4 error, 5 crash, 6 incident message
	u := r.Float64()
	switch {
	case incident && u < 0.35:
		kind = 0
	case incident && u < 0.55:
		kind = 5
	case incident && u < 0.75:
		kind = 6
	default:
		if r.Float64() >= s.http {
			v := r.Float64()
			switch {
			case v < 0.40:
				kind = 1
			case v < 0.85:
				kind = 2
			case v < 0.97:
				kind = 3
			default:
				kind = 4
			}
		}
		incident = false // the rest of the lines look normal
	}

	switch kind {
	case 0:
		ep = pickEndpoint(r, si)
		path = tc.expand(pathBuf[:0], ep.path)
		out = request(r, s, ep, incident)
		msg = append(scratch[:0], ep.method...)
		msg = append(msg, ' ')
		msg = append(msg, path...)
		msg = append(msg, ' ')
		msg = strconv.AppendInt(msg, int64(out.status), 10)
		msg = append(msg, ' ')
		msg = strconv.AppendInt(msg, int64(out.latencyMs), 10)
		msg = append(msg, "ms"...)
	case 1:
		out.level, msg = "debug", tc.expand(scratch[:0], debugLines[r.IntN(len(debugLines))])
	case 2:
		out.level, msg = "info", tc.expand(scratch[:0], s.info[r.IntN(len(s.info))])
	case 3:
		out.level, msg = "warn", tc.expand(scratch[:0], warnLines[r.IntN(len(warnLines))])
	case 4:
		out.level, msg = "error", tc.expand(scratch[:0], errorLines[r.IntN(len(errorLines))])
	case 5:
		out.level, msg = "error", tc.expand(scratch[:0], crashes[s.lang][r.IntN(len(crashes[s.lang]))])
	case 6:
		out.level, msg = "error", tc.expand(scratch[:0], s.incident[r.IntN(len(s.incident))])
	}

	dst = append(dst, `{"timestamp":"`...)
	dst = now.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","level":"`...)
	dst = append(dst, out.level...)
	dst = append(dst, `","service":"`...)
	dst = append(dst, s.name...)
	dst = append(dst, `","host":"`...)
	dst = append(dst, host...)
	dst = append(dst, `","region":"`...)
	dst = append(dst, regions[ri].name...)
	dst = append(dst, `","message":`...)
	dst = appendJSONString(dst, msg)
	if out.http && !compact {
		dst = append(dst, `,"http":{"method":"`...)
		dst = append(dst, ep.method...)
		dst = append(dst, `","path":`...)
		dst = appendJSONString(dst, path)
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(out.status), 10)
		dst = append(dst, `,"latency_ms":`...)
		dst = strconv.AppendInt(dst, int64(out.latencyMs), 10)
		dst = append(dst, '}')
	}
	dst = append(dst, `,"trace_id":"`...)
	dst = appendHex(dst, r.Uint64(), 16)
	dst = appendHex(dst, r.Uint64(), 16)
	dst = append(dst, '"')
	if out.http && !compact && !strings.HasPrefix(ep.path, "/internal/") && r.IntN(10) < 6 {
		dst = append(dst, `,"user":"`...)
		dst = tc.appendUser(dst)
		dst = append(dst, '"')
	}
	dst = append(dst, '}')
	return dst, out
}

// request draws the status and latency of one request to ep.
func request(r *rand.Rand, s *service, ep *endpoint, incident bool) logOutcome {
	o := logOutcome{http: true}
	u := r.Float64()
	switch {
	case incident:
		o.status = [...]int{500, 502, 503, 503, 504}[r.IntN(5)]
	case u < 0.006:
		o.status = [...]int{500, 500, 502, 503, 504}[r.IntN(5)]
	case u < 0.05 && ep.method == "GET":
		o.status = [...]int{400, 401, 403, 404, 404, 404, 404, 429}[r.IntN(8)]
	case u < 0.05:
		o.status = [...]int{400, 400, 401, 403, 404, 409, 409, 429}[r.IntN(8)]
	case u < 0.06 && ep.method == "GET":
		o.status = 304
	case ep.method == "POST" && r.IntN(10) < 7:
		o.status = 201
	case ep.method == "DELETE" || ep.method == "PUT" && r.IntN(2) == 0:
		o.status = 204
	default:
		o.status = 200
	}

	// Log-normal latency around the endpoint's median.
	ms := s.medianMs * ep.slow * math.Exp(s.sigma*r.NormFloat64())
	switch {
	case o.status == 504:
		ms = 30000 + 500*r.Float64()
	case incident:
		ms *= 4 + 6*r.Float64()
	case o.status >= 400 && o.status < 500:
		ms *= 0.3
	}
	o.latencyMs = max(1, int(math.Min(ms, 60000)))

	switch {
	case o.status >= 500:
		o.level = "error"
	case o.status >= 400 && o.status != 404:
		o.level = "warn"
	case o.latencyMs > 2000:
		o.level = "warn"
	default:
		o.level = "info"
	}
	return o
}

func pickService(r *rand.Rand) int {
	n := r.IntN(serviceTotal)
	for i, s := range services {
		if n < s.weight {
			return i
		}
		n -= s.weight
	}
	return len(services) - 1
}

func pickRegion(r *rand.Rand) int {
	n := r.IntN(regionTotal)
	for i, rg := range regions {
		if n < rg.weight {
			return i
		}
		n -= rg.weight
	}
	return len(regions) - 1
}

func pickEndpoint(r *rand.Rand, si int) *endpoint {
	eps := services[si].eps
	n := r.IntN(endpointTotals[si])
	for i := range eps {
		if n < eps[i].weight {
			return &eps[i]
		}
		n -= eps[i].weight
	}
	return &eps[len(eps)-1]
}

// crashes are the stack traces a service of each language logs when it
// crashes during an incident, as one multi-line message.
var crashes = map[string][]string{
	"go": {
		"panic: runtime error: invalid memory address or nil pointer dereference\n" +
			"[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x{hex}]\n\n" +
			"goroutine {n} [running]:\n" +
			"github.com/acme-cx/{self}/internal/{pkg}.(*Handler).ServeHTTP(0xc000{hex}, {0x1f3a2c0, 0xc000{hex}}, 0xc000{hex})\n" +
			"\t/src/internal/{pkg}/handler.go:{line} +0x{hex}\n" +
			"net/http.serverHandler.ServeHTTP({0xc000{hex}}, {0x1f3a2c0, 0xc000{hex}}, 0xc000{hex})\n" +
			"\t/usr/local/go/src/net/http/server.go:3301 +0x8e\n" +
			"created by net/http.(*Server).Serve in goroutine 1\n" +
			"\t/usr/local/go/src/net/http/server.go:3454 +0x485",
		"panic: runtime error: index out of range [{count}] with length {count}\n\n" +
			"goroutine {n} [running]:\n" +
			"github.com/acme-cx/{self}/internal/{pkg}.(*Pool).pick(...)\n" +
			"\t/src/internal/{pkg}/pool.go:{line}\n" +
			"github.com/acme-cx/{self}/internal/{pkg}.(*Pool).Next(0xc000{hex})\n" +
			"\t/src/internal/{pkg}/pool.go:{line} +0x{hex}",
		"{pkg}: context deadline exceeded while calling {svc}.internal:8443\n" +
			"goroutine {n} [select]:\n" +
			"google.golang.org/grpc.(*ClientConn).Invoke(0xc000{hex}, {0x1f3a2c0, 0xc000{hex}})\n" +
			"\t/go/pkg/mod/google.golang.org/grpc@v1.67.1/call.go:35 +0x{hex}",
	},
	"java": {
		"java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n" +
			"\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n" +
			"\tat com.acmecx.{selfpkg}.{pkg}.Repository.save(Repository.java:{line})\n" +
			"\tat com.acmecx.{selfpkg}.{pkg}.Service.process(Service.java:{line})\n" +
			"\tat java.base/java.lang.Thread.run(Thread.java:1583)",
		"java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"tenantId\" is null\n" +
			"\tat com.acmecx.{selfpkg}.{pkg}.TenantResolver.resolve(TenantResolver.java:{line})\n" +
			"\tat com.acmecx.{selfpkg}.web.RequestFilter.doFilter(RequestFilter.java:{line})\n" +
			"\tat org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:174)",
		"java.util.concurrent.TimeoutException: Timeout waiting for task.\n" +
			"\tat com.google.common.util.concurrent.AbstractFuture.get(AbstractFuture.java:531)\n" +
			"\tat com.acmecx.{selfpkg}.{pkg}.Client.call(Client.java:{line})\n" +
			"Caused by: java.net.SocketTimeoutException: Read timed out",
	},
	"node": {
		"TypeError: Cannot read properties of undefined (reading 'id')\n" +
			"    at render (/app/{pkg}/index.js:{line}:17)\n" +
			"    at processTicksAndRejections (node:internal/process/task_queues:95:5)\n" +
			"    at async handle (/app/server/router.js:{line}:5)",
		"Error: connect ECONNREFUSED {ip}:8443\n" +
			"    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\n" +
			"    at async fetchUpstream (/app/{pkg}/upstream.js:{line}:11)",
		"UnhandledPromiseRejection: This error originated either by throwing inside of an async function without a catch block, " +
			"or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason \"ETIMEDOUT\".",
	},
}

// tmplCtx expands {token}s in the catalog's templates.
type tmplCtx struct {
	r      *rand.Rand
	s      *service
	region string
}

// expand appends tmpl with its tokens replaced; the result is raw text, not
// yet JSON-escaped.
func (c tmplCtx) expand(dst []byte, tmpl string) []byte {
	r := c.r
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return append(dst, tmpl...)
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return append(dst, tmpl...)
		}
		dst = append(dst, tmpl[:i]...)
		tok := tmpl[i+1 : i+j]
		tmpl = tmpl[i+j+1:]
		switch tok {
		case "id":
			dst = strconv.AppendInt(dst, int64(100000+r.IntN(900000)), 10)
		case "n":
			dst = strconv.AppendInt(dst, int64(1+r.IntN(99999)), 10)
		case "count":
			dst = strconv.AppendInt(dst, int64(1+r.IntN(64)), 10)
		case "line":
			dst = strconv.AppendInt(dst, int64(40+r.IntN(860)), 10)
		case "hex":
			dst = appendHex(dst, r.Uint64(), 8)
		case "ms":
			dst = strconv.AppendInt(dst, int64(math.Max(1, 20*math.Exp(1.2*r.NormFloat64()))), 10)
		case "s":
			dst = strconv.AppendInt(dst, int64(1+r.IntN(600)), 10)
		case "pct":
			dst = strconv.AppendInt(dst, int64(70+r.IntN(30)), 10)
		case "size":
			dst = strconv.AppendFloat(dst, 0.1+30*r.Float64(), 'f', 1, 64)
			dst = append(dst, "MB"...)
		case "tenant":
			dst = append(dst, tenants[r.IntN(len(tenants))]...)
		case "svc":
			dst = append(dst, services[r.IntN(len(services))].name...)
		case "self":
			dst = append(dst, c.s.name...)
		case "selfpkg":
			for k := 0; k < len(c.s.name); k++ {
				if c.s.name[k] != '-' {
					dst = append(dst, c.s.name[k])
				}
			}
		case "pkg":
			dst = append(dst, c.s.pkg...)
		case "region":
			dst = append(dst, c.region...)
		case "queue":
			dst = append(dst, queues[r.IntN(len(queues))]...)
		case "word":
			dst = append(dst, words[r.IntN(len(words))]...)
		case "agent":
			dst = append(dst, "a-"...)
			dst = strconv.AppendInt(dst, int64(1000+r.IntN(9000)), 10)
		case "ip":
			dst = append(dst, "10."...)
			dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(r.IntN(256)), 10)
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(1+r.IntN(254)), 10)
		case "user":
			dst = c.appendUser(dst)
		default:
			dst = append(dst, '{')
			dst = append(dst, tok...)
			dst = append(dst, '}')
		}
	}
}

// appendUser appends a user name such as m.garcia.
func (c tmplCtx) appendUser(dst []byte) []byte {
	dst = append(dst, firstNames[c.r.IntN(len(firstNames))][0], '.')
	return append(dst, lastNames[c.r.IntN(len(lastNames))]...)
}

const hexDigits = "0123456789abcdef"

// appendHex appends the low n hex digits of v, zero-padded.
func appendHex(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

// appendJSONString appends s as a JSON string literal. The catalog is ASCII,
// but escaping is complete so any text stays valid JSON.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
