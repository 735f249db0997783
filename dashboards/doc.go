// Package dashboards is dashboards as code: the model of one YAML file per
// dashboard under configs/dashboards/, its strict decoding, its canonical
// form and SHA-256 hash, lint (schema, the templates panels run, EXPLAIN of
// every panel's query with the variables' defaults), and the dashboards an
// instance serves: the files it provisions read-only at start and on reload,
// and the ones created through the API, kept in the dashboards table.
//
// Templates run through the small Templates interface declared here; cmd
// wires the query catalog into it. The package knows no HTTP: server/
// declares what it needs and Service satisfies it.
package dashboards
