package chdb

import "github.com/prometheus/client_golang/prometheus"

var queriesCancelled = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "logmart_store_statements_cancelled_total",
	Help: "Statements of the embedded engine killed because their caller went away or its deadline passed.",
})

func init() { prometheus.MustRegister(queriesCancelled) }
