package templatetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/store"
)

// Row counts InsertDemo writes per call.
const (
	LogRows        = 6000
	EventRows      = 1200
	CloudTrailRows = 400
	MetricRows     = 600
	DeadLetterRows = 30
	QueryLogRows   = 200
)

// InsertDemo writes a demo-shaped hour ending at end into logs, events,
// metrics, dead_letters and query_log. Services, streams, hosts, the
// region and tenants are the demo's (package internal/demo):
//
//   - logs: every demo service, drawn by a hash of the row number, in the
//     stream the shipped streams.yaml routes it to; 2 lines in 20 are
//     errors (a request answered 503, or an "upstream … timed out"
//     message), 2 in 20 warn; 3 of 4 lines are requests with http.method,
//     http.path (/api/v1/calls/<n>), http.status and http.latency_ms
//     attributes; the host is one of up to 3 of the service's pods in the
//     demo's busiest region, which the region attribute names.
//   - events: audit events of the demo's audit service for its tenants:
//     logins, failed logins (a burst from 198.51.100.66), exports and role
//     changes; actors root, admin and userN. Beside them, CloudTrail
//     records of the demo's AWS accounts, with the attributes the JSON
//     decoder gives them (keys as in the record, nested ones dotted): root
//     and IAM user console logins, failed ones (a burst from 203.0.113.66),
//     security groups opened to 0.0.0.0/0 or to 10.0.0.0/8, calls denied
//     to a deploy role, and everyday calls. They carry no type or service,
//     and are in the events topic's stream, events.
//   - metrics: http_requests_total and process_open_fds for every service.
//   - dead_letters: three reasons on topic logs.
//   - query_log: runs of two templates and ad-hoc SQL by alice and bob,
//     every 7th failed.
//   - budget_usage: the demo budget all_logs_hourly counting 11,400
//     events a minute against its 300,000, with its limits.
//   - interaction_facts, interaction_resource_facts, agent_state_facts,
//     agent_session_facts: the pipeline's facts of the demo's simulated
//     contact center over the hour (insertContactCenter), one agent of
//     which is not configured.
//
// Rows are spread evenly over the hour. Each call writes new rows.
func InsertDemo(ctx context.Context, st store.Store, end time.Time) error {
	start := end.Add(-time.Hour).UTC()
	services := demo.Services()
	region := demo.Regions()[0]
	streams := make([]string, len(services))
	hosts := make([][]string, len(services))
	for i, s := range services {
		streams[i] = demo.Stream(s)
		hosts[i] = demo.Hosts(s, region)
		hosts[i] = hosts[i][:min(len(hosts[i]), 3)]
	}
	params := map[string]string{
		"region":        region,
		"audit_service": demo.AuditService,
		"audit_stream":  demo.Stream(demo.AuditService),
	}
	accounts, _ := json.Marshal(demo.CloudTrailAccounts()) // strings always encode
	params["accounts"] = string(accounts)
	// Lists travel as JSON text in bound parameters, read with JSONExtract.
	deployed := make([]int64, len(services)) // each service's last deploy, Unix ms
	for i, s := range services {
		deployed[i] = end.Add(-demo.DeployAge(s)).UnixMilli()
	}
	for k, v := range map[string]any{"services": services, "streams": streams, "hosts": hosts, "tenants": demo.Tenants(), "deployed": deployed,
		"template_params": map[string]string{"service": services[0]}} {
		b, _ := json.Marshal(v) // strings always encode
		params[k] = string(b)
	}
	at := func(n int) string {
		return fmt.Sprintf("toDateTime64(%d, 3) + toIntervalMillisecond(intDiv(number * 3600000, %d))", start.Unix(), n)
	}
	stmts := []string{
		`INSERT INTO logs (timestamp, stream, source, service, host, level, body, attributes, trace_id, ingest_time)
SETTINGS insert_deduplicate = 0
SELECT ts, stream, 'demo', service, host, level, body, attributes, trace_id, ts + toIntervalMillisecond(150)
FROM (
  WITH JSONExtract({services:String}, 'Array(String)') AS services,
    JSONExtract({streams:String}, 'Array(String)') AS streams,
    JSONExtract({hosts:String}, 'Array(Array(String))') AS hosts
  SELECT ` + at(LogRows) + ` AS ts,
    cityHash64(number) % length(services) + 1 AS si,
    services[si] AS service,
    streams[si] AS stream,
    hosts[si][intDiv(number, 7) % length(hosts[si]) + 1] AS host,
    multiIf(number % 20 IN (0, 3), 'error', number % 20 IN (1, 2), 'warn', number % 5 = 3, 'debug', 'info') AS level,
    number % 4 != 3 AS is_request,
    ['GET', 'POST', 'PUT', 'DELETE'][number % 4 + 1] AS method,
    concat('/api/v1/calls/', toString(number % 50)) AS path,
    multiIf(level = 'error', '503', number % 20 = 1, '404', number % 20 = 2, '429', method = 'POST', '201', '200') AS status,
    toString(5 + (number * 37) % 2000) AS latency,
    if(is_request, concat(method, ' ', path, ' ', status, ' ', latency, 'ms'),
       if(level = 'error', concat('upstream ', service, ' timed out after 2000ms (attempt ', toString(number % 5), ')'),
          concat('processed batch ', toString(number), ' in ', latency, 'ms'))) AS body,
    if(is_request, map('http.method', method, 'http.path', path, 'http.status', status, 'http.latency_ms', latency, 'region', {region:String}),
       map('region', {region:String})) AS attributes,
    lower(hex(MD5(toString(number)))) AS trace_id
  FROM numbers(` + fmt.Sprint(LogRows) + `)
)`,
		`INSERT INTO events (timestamp, type, stream, source, service, tenant, attributes, body, ingest_time)
SETTINGS insert_deduplicate = 0
SELECT ts, 'audit', {audit_stream:String}, 'demo', {audit_service:String}, tenant,
  map('action', action, 'actor', actor, 'source_ip', ip, 'result', result), '', ts + toIntervalMillisecond(150)
FROM (
  WITH JSONExtract({tenants:String}, 'Array(String)') AS tenants
  SELECT ` + at(EventRows) + ` AS ts,
    tenants[cityHash64(number, 1) % length(tenants) + 1] AS tenant,
    multiIf(number % 10 < 6, 'login', number % 10 < 8, 'login_failed', number % 10 = 8, 'export', 'role_change') AS action,
    multiIf(number % 15 = 0, 'root', number % 15 = 1, 'admin', concat('user', toString(number % 40))) AS actor,
    if(action = 'login_failed' AND number % 3 = 0, '198.51.100.66', concat('203.0.113.', toString(number % 20))) AS ip,
    if(action = 'login_failed', 'failure', 'success') AS result
  FROM numbers(` + fmt.Sprint(EventRows) + `)
)`,
		`INSERT INTO events (timestamp, type, stream, source, service, tenant, attributes, body, ingest_time)
SETTINGS insert_deduplicate = 0
SELECT ts, '', 'events', 'demo', '', '', mapFilter((k, v) -> v != '', attrs), '', ts + toIntervalMillisecond(150)
FROM (
  WITH JSONExtract({accounts:String}, 'Array(String)') AS accounts
  SELECT ` + at(CloudTrailRows) + ` AS ts,
    accounts[if(number % 4 = 3, 2, 1)] AS account,
    multiIf(number % 20 = 0, 'root_login', number % 20 IN (1, 2, 3), 'login_failed', number % 20 IN (4, 5), 'sg_ingress',
            number % 20 IN (6, 7), 'denied', number % 20 IN (8, 9), 'login', 'call') AS kind,
    kind IN ('root_login', 'login_failed', 'login') AS is_login,
    ['alice', 'bob', 'carol', 'dmitri'][number % 4 + 1] AS user,
    multiIf(kind = 'root_login', 'Root', is_login, 'IAMUser', 'AssumedRole') AS identity,
    multiIf(identity = 'Root', concat('arn:aws:iam::', account, ':root'),
            identity = 'IAMUser', concat('arn:aws:iam::', account, ':user/', user),
            kind = 'denied', concat('arn:aws:sts::', account, ':assumed-role/deploy/ci-', toString(number % 3)),
            concat('arn:aws:sts::', account, ':assumed-role/Admin/', user)) AS arn,
    if(kind = 'login_failed' AND number % 2 = 0, '203.0.113.66', concat('198.51.100.', toString(number % 50 + 1))) AS ip,
    if(number % 3 = 0, '0.0.0.0/0', '10.0.0.0/8') AS cidr,
    map('eventVersion', '1.08', 'eventType', if(is_login, 'AwsConsoleSignIn', 'AwsApiCall'),
        'eventSource', multiIf(is_login, 'signin.amazonaws.com', kind = 'sg_ingress', 'ec2.amazonaws.com', 's3.amazonaws.com'),
        'eventName', multiIf(is_login, 'ConsoleLogin', kind = 'sg_ingress', 'AuthorizeSecurityGroupIngress', 'GetObject'),
        'awsRegion', 'us-east-1', 'sourceIPAddress', ip, 'userAgent', if(is_login, 'Mozilla/5.0', 'aws-cli/2.15.30'),
        'recipientAccountId', account, 'userIdentity.type', identity, 'userIdentity.arn', arn,
        'userIdentity.userName', if(identity = 'IAMUser', user, ''),
        'errorCode', if(kind = 'denied', 'AccessDenied', ''),
        'errorMessage', if(kind = 'login_failed', 'Failed authentication', ''),
        'responseElements.ConsoleLogin', multiIf(kind = 'login_failed', 'Failure', is_login, 'Success', ''),
        'additionalEventData.MFAUsed', if(is_login, if(kind = 'login_failed', 'No', 'Yes'), ''),
        'requestParameters.groupId', if(kind = 'sg_ingress', concat('sg-0', lower(hex(number))), ''),
        'requestParameters.ipPermissions.items', if(kind = 'sg_ingress',
            concat('[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"', cidr, '"}]}}]'), '')) AS attrs
  FROM numbers(` + fmt.Sprint(CloudTrailRows) + `)
)`,
		`INSERT INTO metrics (name, labels, fingerprint, timestamp, value, stream, ingest_time)
SETTINGS insert_deduplicate = 0
SELECT name, labels, cityHash64(name, service), ts, toFloat64(number), 'metrics', ts
FROM (
  WITH JSONExtract({services:String}, 'Array(String)') AS services
  SELECT ` + at(MetricRows) + ` AS ts,
    ['http_requests_total', 'process_open_fds'][number % 2 + 1] AS name,
    services[intDiv(number, 2) % length(services) + 1] AS service,
    map('service', service) AS labels, number
  FROM numbers(` + fmt.Sprint(MetricRows) + `)
)`,
		// Each service's last deploy, as the demo's opening events.
		`INSERT INTO events (timestamp, type, stream, source, service, tenant, attributes, body, ingest_time)
SETTINGS insert_deduplicate = 0
SELECT fromUnixTimestamp64Milli(ts), 'deploy', stream, 'demo', service, '', map('version', concat('v1.', toString(i)), 'actor', 'ci'), '', now64(3)
FROM (
  SELECT arrayJoin(arrayZip(JSONExtract({services:String}, 'Array(String)'), JSONExtract({streams:String}, 'Array(String)'),
    JSONExtract({deployed:String}, 'Array(Int64)'), range(length(JSONExtract({services:String}, 'Array(String)'))))) AS d,
    d.1 AS service, d.2 AS stream, d.3 AS ts, d.4 AS i
)`,
		`INSERT INTO dead_letters (ingest_time, reason, error, raw, raw_size, truncated, kafka_topic, kafka_partition, kafka_offset)
SETTINGS insert_deduplicate = 0
SELECT ` + at(DeadLetterRows) + `, ['bad_json', 'too_large', 'no_timestamp'][number % 3 + 1],
  concat('record ', toString(number), ' rejected'), 'raw bytes', 9, number % 3 = 1, 'logs', 0, number
FROM numbers(` + fmt.Sprint(DeadLetterRows) + `)`,
		`INSERT INTO query_log (time, user, role, source, template, template_version, params, sql, status, error, duration_ms, rows_read, bytes_read, result_rows)
SETTINGS insert_deduplicate = 0
SELECT ` + at(QueryLogRows) + `, ['alice', 'bob'][number % 2 + 1], 'viewer', ['ui', 'api'][number % 2 + 1],
  ['errors_by_service', 'log_search', ''][number % 3 + 1], if(number % 3 = 2, 0, 1), {template_params:String}, 'SELECT 1',
  if(number % 7 = 0, 'error', 'ok'), if(number % 7 = 0, 'clickhouse error 47: Unknown identifier', ''),
  number * 1.5, number * 100, number * 1000, number % 10
FROM numbers(` + fmt.Sprint(QueryLogRows) + `)`,
		`INSERT INTO budget_usage (budget, minute, outcome, bytes, events, replica, flushed_at, period_start, unit, capacity, lower_bound)
SETTINGS insert_deduplicate = 0
SELECT 'all_logs_hourly', m, 'stored', 11400 * 245, 11400, 'demo', now64(3), toStartOfHour(m), 'events', 300000, 0
FROM (SELECT toStartOfMinute(toDateTime(` + fmt.Sprint(start.Unix()) + `) + toIntervalMinute(number)) AS m FROM numbers(60))`,
	}
	for _, sql := range stmts {
		if err := st.Exec(ctx, store.Query{SQL: sql, Params: params}); err != nil {
			return fmt.Errorf("cannot insert demo data (%s): %w", strings.Fields(sql)[2], err)
		}
	}
	return insertContactCenter(ctx, st, start, end)
}
