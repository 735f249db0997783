// Package dashboards is dashboards as code: the model of one YAML file per
// dashboard under configs/dashboards/, its strict decoding, its canonical
// form and SHA-256 hash, lint (schema, the templates panels run, EXPLAIN of
// every panel's query with the variables' defaults), and the dashboards an
// instance serves: the files it provisions read-only at start and on reload,
// and the ones created through the API, kept in the dashboards table.
//
// Content promotion (promote*.go) carries items of any content kind
// between the instances of configs/environments.yaml (environments.go):
// Diff, Promote and Verify work over the Instance interface, which cmd
// implements with the instances' HTTP API, and PromotionLog is the
// instance's side, the promotions table. A dashboard reaches an instance
// as its canonical bytes, unchanged, and only where the template versions
// it runs hold the same hashes. grafana*.go converts a Grafana dashboard
// over the ClickHouse data source into a dashboard and its templates.
//
// Templates run through the small Templates interface declared here; cmd
// wires the query catalog into it. The package knows no HTTP: server/
// declares what it needs and Service satisfies it.
package dashboards
