package alerts

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"time"
)

// Config configures monitors, their evaluation and the notifier (the
// alerts: section).
type Config struct {
	// Enabled runs the evaluator and the outbox in serve. Default true.
	Enabled bool `yaml:"enabled"`
	// Dir holds the file-provisioned monitors. Default configs/monitors.
	Dir string `yaml:"dir"`
	// BaseURL is the server's address as on-call reaches it: links in
	// notifications start with it. Default http://127.0.0.1:8080.
	BaseURL string `yaml:"base_url"`
	// Evaluators is how many evaluations run at once. Default 4.
	Evaluators int `yaml:"evaluators"`
	// Lease is how long the replica that evaluates and delivers holds the
	// right to, without renewing it. Default 15s.
	Lease time.Duration `yaml:"lease"`
	// Channels are the receivers monitors name in notify.
	Channels map[string]ChannelConfig `yaml:"channels"`
	Outbox   OutboxConfig             `yaml:"outbox"`
}

// ChannelConfig is one receiver. Secrets come from the environment.
type ChannelConfig struct {
	// Kind is pagerduty, slack, webhook, alertmanager or log.
	Kind string `yaml:"kind"`
	// URL is the receiver's address; URLEnv names a variable holding it
	// instead (a Slack webhook URL is a secret). PagerDuty's defaults to
	// the Events API v2.
	URL    string `yaml:"url"`
	URLEnv string `yaml:"url_env"`
	// RoutingKeyEnv names the variable holding a PagerDuty routing key.
	RoutingKeyEnv string `yaml:"routing_key_env"`
	// SecretEnv names the variable holding a webhook's HMAC secret.
	SecretEnv string `yaml:"secret_env"`
	// ResendEvery is how often firing alerts are pushed again to an
	// Alertmanager. Default 1m.
	ResendEvery time.Duration `yaml:"resend_every"`
	// Timeout bounds one delivery. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// OutboxConfig bounds delivery retries.
type OutboxConfig struct {
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles from the first to the second, with jitter. Defaults 1s, 5m.
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// GiveUpAfter is how long a delivery is retried before it is marked
	// failed and counted. Default 24h.
	GiveUpAfter time.Duration `yaml:"give_up_after"`
}

// DefaultConfig returns the defaults documented on Config: the log
// channel alone.
func DefaultConfig() Config {
	return Config{
		Enabled: true, Dir: "configs/monitors", BaseURL: "http://127.0.0.1:8080", Evaluators: 4, Lease: 15 * time.Second,
		Channels: map[string]ChannelConfig{"log": {Kind: "log"}},
		Outbox:   OutboxConfig{MinBackoff: time.Second, MaxBackoff: 5 * time.Minute, GiveUpAfter: 24 * time.Hour},
	}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("alerts.dir must name a folder")
	case c.Evaluators < 1 || c.Evaluators > 256:
		return fmt.Errorf("alerts.evaluators: %d is not 1 to 256", c.Evaluators)
	case c.Lease < 3*time.Second:
		return fmt.Errorf("alerts.lease: %s is shorter than 3s", c.Lease)
	case c.Outbox.MinBackoff <= 0 || c.Outbox.MaxBackoff < c.Outbox.MinBackoff:
		return fmt.Errorf("alerts.outbox: min_backoff (%s) must be positive and at most max_backoff (%s)", c.Outbox.MinBackoff, c.Outbox.MaxBackoff)
	case c.Outbox.GiveUpAfter <= 0:
		return fmt.Errorf("alerts.outbox.give_up_after: %s must be positive", c.Outbox.GiveUpAfter)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("alerts.base_url: %q is not an http(s) URL", c.BaseURL)
	}
	for _, name := range c.channelNames() {
		if !labelRe.MatchString(name) {
			return fmt.Errorf("alerts.channels: %q is not a channel name (letters, digits and _)", name)
		}
		ch := c.Channels[name]
		switch ch.Kind {
		case "pagerduty", "slack", "webhook", "alertmanager", "log":
		default:
			return fmt.Errorf("alerts.channels.%s.kind: %q is not pagerduty, slack, webhook, alertmanager or log", name, ch.Kind)
		}
		if ch.URL != "" {
			if u, err := url.Parse(ch.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("alerts.channels.%s.url: %q is not an http(s) URL", name, ch.URL)
			}
		}
		if ch.Timeout < 0 || ch.ResendEvery < 0 {
			return fmt.Errorf("alerts.channels.%s: timeout and resend_every must not be negative", name)
		}
	}
	return nil
}

func (c Config) channelNames() []string {
	names := make([]string, 0, len(c.Channels))
	for n := range c.Channels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Channels builds the configured receivers, reading their secrets from
// the environment. A channel whose URL or key is missing is an error
// naming the field and the variable.
func (c Config) BuildChannels(log *slog.Logger) (map[string]Channel, error) {
	out := map[string]Channel{}
	for _, name := range c.channelNames() {
		ch := c.Channels[name]
		timeout := ch.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		client := &http.Client{Timeout: timeout}
		u := ch.URL
		if ch.URLEnv != "" {
			u = os.Getenv(ch.URLEnv)
		}
		need := func(v, what string) error {
			if v == "" {
				return fmt.Errorf("alerts.channels.%s: %s is not set", name, what)
			}
			return nil
		}
		switch ch.Kind {
		case "pagerduty":
			if u == "" {
				u = PagerDutyURL
			}
			key := os.Getenv(ch.RoutingKeyEnv)
			if err := need(key, "the routing key (routing_key_env "+ch.RoutingKeyEnv+")"); err != nil {
				return nil, err
			}
			out[name] = &pagerDuty{url: u, routingKey: key, client: client}
		case "slack":
			if err := need(u, "the webhook URL (url or url_env)"); err != nil {
				return nil, err
			}
			out[name] = &slack{url: u, client: client}
		case "webhook":
			if err := need(u, "the URL (url or url_env)"); err != nil {
				return nil, err
			}
			secret := ""
			if ch.SecretEnv != "" {
				if secret = os.Getenv(ch.SecretEnv); secret == "" {
					return nil, fmt.Errorf("alerts.channels.%s: the secret variable %s is empty", name, ch.SecretEnv)
				}
			}
			out[name] = &webhook{name: name, url: u, secret: secret, client: client}
		case "alertmanager":
			if err := need(u, "the Alertmanager URL (url or url_env)"); err != nil {
				return nil, err
			}
			r := ch.ResendEvery
			if r == 0 {
				r = time.Minute
			}
			out[name] = &alertManager{url: u, resend: r, client: client}
		case "log":
			out[name] = &logChannel{name: name, log: log}
		}
	}
	return out, nil
}
