package demo

import (
	"hash/fnv"
	"strconv"
	"time"
)

// Deploys: a run starts with each service's last deploy, one event per
// service on the events topic, stamped when the deploy happened, so the
// deploy-freshness dashboard has something true to show. Most services
// deployed within the last twelve days (inside the shortest retention of
// the shipped streams, edge's 14 days); staleDeploys have not for longer
// than the 30 days that dashboard flags, and sit in streams kept longer
// (payments 90 days, security 365), so no deploy event is a dead letter.

// staleDeploys are the services whose last deploy is older than 30 days,
// with its age in days.
var staleDeploys = map[string]int{"billing": 41, "auth": 52}

// DeployAge is how long before a run's start service name last deployed:
// fixed per service, so every run tells the same story (and test data can
// tell it too).
func DeployAge(name string) time.Duration {
	if d, ok := staleDeploys[name]; ok {
		return time.Duration(d)*24*time.Hour + 3*time.Hour
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum32()%(12*24))*time.Hour + 17*time.Minute
}

// appendDeploy appends the deploy event of services[si], deployed at at.
func appendDeploy(dst []byte, si int, at time.Time) []byte {
	s := &services[si]
	h := fnv.New32a()
	_, _ = h.Write([]byte(s.name))
	n := h.Sum32()
	dst = append(dst, `{"timestamp":"`...)
	dst = at.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","type":"deploy","action":"deploy","service":"`...)
	dst = append(dst, s.name...)
	dst = append(dst, `","version":"v1.`...)
	dst = strconv.AppendUint(dst, uint64(n%90), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(n/90%20), 10)
	dst = append(dst, `","commit":"`...)
	dst = strconv.AppendUint(dst, uint64(n), 16)
	dst = append(dst, `","actor":"ci","result":"success"}`...)
	return dst
}
