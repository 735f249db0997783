// Package apiclient is the one typed client of logmart's HTTP API that the
// CLI's commands use to talk to a server (sql, links, and every later
// command that reads or changes a server's state).
//
// It owns what every call shares: the server's base URL, the bearer token
// (LOGMART_TOKEN), a timeout on each call, Content-Type application/json on
// request bodies, and the server's {"error": "..."} answers turned into one
// line. Values go to the server as text, parameter values included: the
// server types and checks them, so no client keeps its own copy of a rule.
//
// Each method's path and method, and the JSON field names of its request
// and answer types, are checked against server/openapi.yaml by a test, so a
// change to the API that the client does not follow fails the build.
package apiclient
