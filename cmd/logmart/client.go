package main

import (
	"flag"

	"github.com/logmart/logmart/internal/apiclient"
)

// serverFlags are the flags of a command that talks to a server's API.
type serverFlags struct{ cfg apiclient.Config }

// apiFlags adds --server and --timeout to fs; the token comes from
// LOGMART_TOKEN.
func apiFlags(fs *flag.FlagSet) *serverFlags {
	f := &serverFlags{cfg: apiclient.DefaultConfig()}
	f.cfg.RegisterFlags(fs)
	return f
}

// client builds the API client once the flags are parsed; a bad --server
// or --timeout is a usage error.
func (f *serverFlags) client() (*apiclient.Client, error) {
	cl, err := apiclient.New(f.cfg)
	if err != nil {
		return nil, usageError{err}
	}
	return cl, nil
}
