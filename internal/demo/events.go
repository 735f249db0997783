package demo

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// attack is a brute-force episode: failed logins for privileged accounts of
// one tenant from one address.
type attack struct {
	ip     string
	tenant string
}

// AuditService is the service whose audit events the events topic carries
// (logins, failed logins, role changes, API tokens, exports).
const AuditService = "auth"

var auditActions = []struct {
	name   string
	weight int
}{
	{"login", 62}, {"login_failed", 12}, {"export", 10}, {"api_token_created", 9}, {"role_change", 7},
}

// appendAudit appends one audit event of the events topic and returns the
// tenant it concerns. With a non-nil attack, the event is part of it.
func appendAudit(dst []byte, r *rand.Rand, now time.Time, at *attack) ([]byte, string) {
	var (
		action, result, tenant string
		actor, ip              []byte
		buf                    [48]byte
		ipBuf                  [16]byte
	)
	if at != nil {
		tenant = at.tenant
		ip = append(ipBuf[:0], at.ip...)
		actor = append(buf[:0], [...]string{"root", "root", "admin", "admin", "administrator", "support"}[r.IntN(6)]...)
		action, result = "login_failed", "failure"
		if r.IntN(150) == 0 {
			// Now and then the attacker gets in: the event a security
			// dashboard exists to catch.
			action, result = "login", "success"
		}
	} else {
		tenant = tenants[r.IntN(len(tenants))]
		n := r.IntN(100)
		for _, a := range auditActions {
			if n < a.weight {
				action = a.name
				break
			}
			n -= a.weight
		}
		switch u := r.IntN(100); {
		case u < 2:
			actor = append(buf[:0], "root"...)
		case u < 5:
			actor = append(buf[:0], "admin"...)
		default:
			actor = tmplCtx{r: r}.appendUser(buf[:0])
		}
		ip = append(ipBuf[:0], [...]string{"198.51.100.", "203.0.113."}[r.IntN(2)]...)
		ip = strconv.AppendInt(ip, int64(1+r.IntN(254)), 10)
		switch {
		case action == "login":
			result = "success"
		case action == "login_failed":
			result = "failure"
		case r.IntN(20) == 0:
			result = "failure" // denied by policy
		default:
			result = "success"
		}
	}

	dst = append(dst, `{"timestamp":"`...)
	dst = now.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","type":"audit","action":"`...)
	dst = append(dst, action...)
	dst = append(dst, `","actor":`...)
	dst = appendJSONString(dst, actor)
	dst = append(dst, `,"source_ip":"`...)
	dst = append(dst, ip...)
	dst = append(dst, `","service":"`+AuditService+`","result":"`...)
	dst = append(dst, result...)
	dst = append(dst, `","tenant":"`...)
	dst = append(dst, tenant...)
	dst = append(dst, `"}`...)
	return dst, tenant
}
