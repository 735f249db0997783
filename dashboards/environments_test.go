package dashboards

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Every bad environments file fails with the one line a user sees, naming
// the file, the line and the field; the good one reads as written.
func TestLoadEnvironmentsFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "environments")
	e, err := LoadEnvironments(filepath.Join(dir, "three.good.yaml"), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Names(), " "); got != "dev test prod" {
		t.Fatalf("names %q", got)
	}
	prod, err := e.Get("prod")
	if err != nil {
		t.Fatal(err)
	}
	if prod.URL != "https://logmart.prod.example.com/prefix" || prod.TokenEnv != "LOGMART_PROD_TOKEN" ||
		!reflect.DeepEqual(prod.Variables, map[string]string{"env": "prod", "region": "eu-west-1"}) {
		t.Fatalf("prod read as %+v", prod)
	}
	bad := map[string]string{
		"unknown_key":      `:5: environments[0].tokn_env: unknown key (want name, url, token_env, variables)`,
		"literal_token":    `:4: environments[0].token: a secret never sits in this file: put it in an environment variable and name that variable with token_env`,
		"no_token_env":     `:2: environments[0].token_env: missing: the name of the environment variable that holds the instance's API token`,
		"token_env_secret": `:2: environments[0].token_env: "Bearer abc.def" is not an environment variable name (letters, digits and _); the token itself never sits in this file`,
		"bad_url":          `:2: environments[0].url: "127.0.0.1:8080" is not an http(s) URL`,
		"url_credentials":  `:2: environments[0].url: "http://admin:pw@127.0.0.1:8080" carries credentials, a query or a fragment; give the base URL alone and the token through token_env`,
		"twice":            `:3: environments[1].name: "dev" is listed twice`,
		"bad_name":         `:2: environments[0].name: "Prod" is not an environment name (lowercase letters, digits, _ and -, at most 32)`,
		"no_name":          `:2: environments[0].name: missing: every environment has a name (dev, test, prod …)`,
		"bad_variable":     `:2: environments[0].variables.Region: "Region" is not an instance variable name (lowercase letters, digits and _)`,
		"variable_list":    `:2: environments[0].variables.region: a value (text)`,
		"top_key":          `:1: envs: unknown key (the file has the one key environments)`,
		"malformed":        `: line 3: did not find expected node content`,
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.bad.yaml"))
	if len(files) != len(bad) {
		t.Fatalf("%d bad fixtures, %d expected errors: pair each file with its error", len(files), len(bad))
	}
	for name, want := range bad {
		path := filepath.Join(dir, name+".bad.yaml")
		_, err := LoadEnvironments(path, false)
		if err == nil || err.Error() != path+want {
			t.Errorf("%s:\n got %v\nwant %s", name, err, path+want)
		}
	}
	if e, err := LoadEnvironments(filepath.Join(dir, "absent.yaml"), true); err != nil || len(e.Environments) != 0 {
		t.Fatalf("an absent default file: %v %v", e, err)
	}
	if _, err := LoadEnvironments(filepath.Join(dir, "absent.yaml"), false); err == nil || !strings.Contains(err.Error(), "cannot read the environments file") {
		t.Fatalf("an absent named file: %v", err)
	}
}

// A command names an environment the file lacks, or a token variable that
// is unset, in one line.
func TestEnvironmentLookups(t *testing.T) {
	e, err := DecodeEnvironments([]byte("environments:\n  - {name: dev, url: 'http://a:1', token_env: LOGMART_TEST_ENV_TOKEN_X}\n"), "envs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get("prod"); err == nil || err.Error() != `unknown environment "prod": envs.yaml lists dev` {
		t.Fatalf("unknown environment: %v", err)
	}
	dev, _ := e.Get("dev")
	os.Unsetenv("LOGMART_TEST_ENV_TOKEN_X")
	if _, err := dev.Token(); err == nil || err.Error() != "environment dev: $LOGMART_TEST_ENV_TOKEN_X is not set (token_env): export the instance's API token in it" {
		t.Fatalf("unset token: %v", err)
	}
	t.Setenv("LOGMART_TEST_ENV_TOKEN_X", "abc")
	if tok, err := dev.Token(); err != nil || tok != "abc" {
		t.Fatalf("token %q %v", tok, err)
	}
}

// An instance variable's value is environment-specific: a dashboard
// literal equal to it is a problem, as its name and host are.
func TestEnvironmentVariableLiterals(t *testing.T) {
	envs := &Environments{Environments: []Environment{{Name: "prod", URL: "https://logmart.prod.example.com", Variables: map[string]string{"region": "eu-west-1", "env": "prod"}}}}
	d := &Dashboard{UID: "a", Title: "A", Panels: []Panel{{Title: "P", Params: map[string]any{"region": "EU-WEST-1", "other": "eu-west-10"}}}}
	ps := environmentProblems(d, envs)
	if len(ps) != 1 || ps[0].Field != "panels[0].params.region" || !strings.Contains(ps[0].Msg, "its instance variable region=eu-west-1") {
		t.Fatalf("problems %v", ps)
	}
}
