package apiclient

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// endpoints is the endpoint behind each exported method of Client. A new
// method must be listed here, so its types are checked against the
// OpenAPI document.
var endpoints = map[string]endpoint{
	"SQL":              sqlEndpoint,
	"CreateLink":       createLinkEndpoint,
	"Link":             linkEndpoint,
	"Dashboards":       dashboardsEndpoint,
	"DashboardYAML":    dashboardYAMLEndpoint,
	"PutDashboardYAML": putDashboardEndpoint,
	"Promotions":       promotionsEndpoint,
	"RecordPromotion":  recordPromotionEndpoint,
	"Template":         templateEndpoint,
	"Monitors":         monitorsEndpoint,
	"MonitorYAML":      monitorYAMLEndpoint,
	"PutMonitorYAML":   putMonitorEndpoint,
	"Noise":            noiseEndpoint,
	"TestNotification": testNotificationEndpoint,
	"Budgets":          budgetsEndpoint,
	"ResetBudget":      resetBudgetEndpoint,
	"BudgetHashes":     budgetsEndpoint,
	"BudgetYAML":       budgetYAMLEndpoint,
	"PutBudgetYAML":    putBudgetEndpoint,
	"BudgetUsage":      budgetUsageEndpoint,
	"CreateSilence":    createSilenceEndpoint,
	"Silences":         silencesEndpoint,
	"ExpireSilence":    expireSilenceEndpoint,
}

// TestClientMatchesOpenAPI: every call the client makes is a path and
// method server/openapi.yaml documents, and every JSON field of its body
// and answer types is a property of the documented schema, of a matching
// type, nested fields included.
func TestClientMatchesOpenAPI(t *testing.T) {
	b, err := os.ReadFile("../../server/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ct := reflect.TypeOf(&Client{})
	for i := 0; i < ct.NumMethod(); i++ {
		if _, ok := endpoints[ct.Method(i).Name]; !ok {
			t.Errorf("Client.%s is not in endpoints: list the endpoint it calls", ct.Method(i).Name)
		}
	}
	names := make([]string, 0, len(endpoints))
	for n := range endpoints {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ep := endpoints[name]
		op, ok := dig(doc, "paths", ep.path, strings.ToLower(ep.method)).(map[string]any)
		if !ok {
			t.Errorf("Client.%s: %s %s is not in openapi.yaml", name, ep.method, ep.path)
			continue
		}
		if n := strings.Count(ep.path, "{"); n > 0 {
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				if m, _ := p.(map[string]any); m["in"] == "path" {
					n--
				}
			}
			if n != 0 {
				t.Errorf("Client.%s: %s's path parameters are not all documented", name, ep.path)
			}
		}
		if _, ok := ep.body.(yamlText); ok {
			if dig(op, "requestBody", "content", "application/yaml") == nil {
				t.Errorf("Client.%s sends YAML, but %s %s documents no application/yaml body", name, ep.method, ep.path)
			}
		} else {
			body, hasBody := dig(op, "requestBody", "content", "application/json", "schema").(map[string]any)
			checkBody(t, doc, name, ep, body, hasBody)
		}
		if _, ok := ep.answer.(yamlText); ok {
			if !yamlAnswer(op) {
				t.Errorf("Client.%s reads YAML, but %s %s documents no application/yaml answer", name, ep.method, ep.path)
			}
			continue
		}
		answer := successSchema(op)
		if answer == nil {
			t.Errorf("Client.%s: %s %s documents no JSON answer", name, ep.method, ep.path)
			continue
		}
		for _, p := range checkSchema(doc, reflect.TypeOf(ep.answer), answer, "answer") {
			t.Errorf("Client.%s: %s", name, p)
		}
	}
}

func checkBody(t *testing.T, doc map[string]any, name string, ep endpoint, body map[string]any, hasBody bool) {
	t.Helper()
	switch {
	case ep.body == nil && hasBody:
		t.Errorf("Client.%s sends no body, but %s %s takes one", name, ep.method, ep.path)
	case ep.body != nil && !hasBody:
		t.Errorf("Client.%s sends a body, but %s %s documents none", name, ep.method, ep.path)
	case ep.body != nil:
		for _, p := range checkSchema(doc, reflect.TypeOf(ep.body), body, "body") {
			t.Errorf("Client.%s: %s", name, p)
		}
	}
}

// yamlAnswer: a 2xx answer of op documents application/yaml content.
func yamlAnswer(op map[string]any) bool {
	responses, _ := op["responses"].(map[string]any)
	for c, r := range responses {
		if strings.HasPrefix(c, "2") && dig(r, "content", "application/yaml") != nil {
			return true
		}
	}
	return false
}

// TestCheckSchemaFindsMismatches: the checker itself names a field the
// schema lacks and a field of the wrong type.
func TestCheckSchemaFindsMismatches(t *testing.T) {
	type inner struct {
		At time.Time `json:"at"`
	}
	type answer struct {
		ID    string  `json:"id"`
		Count int     `json:"count"`
		Extra string  `json:"extra"`
		Inner []inner `json:"inner"`
		Skip  string  `json:"-"`
	}
	schema := map[string]any{"type": "object", "properties": map[string]any{
		"id":    map[string]any{"type": "string"},
		"count": map[string]any{"type": "string"},
		"inner": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{}}},
	}}
	got := checkSchema(nil, reflect.TypeOf(answer{}), schema, "answer")
	want := []string{
		"answer.count is a int in Go, a string in the schema",
		"answer.extra is not in the schema",
		"answer.inner[].at is not in the schema",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// successSchema is the JSON schema of op's first 2xx answer.
func successSchema(op map[string]any) map[string]any {
	responses, _ := op["responses"].(map[string]any)
	codes := make([]string, 0, len(responses))
	for c := range responses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if strings.HasPrefix(c, "2") {
			s, _ := dig(responses[c], "content", "application/json", "schema").(map[string]any)
			return s
		}
	}
	return nil
}

// resolve follows a $ref and merges allOf into one object schema.
func resolve(doc map[string]any, s map[string]any) map[string]any {
	if ref, ok := s["$ref"].(string); ok {
		path := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		r, _ := dig(doc, path...).(map[string]any)
		return resolve(doc, r)
	}
	all, ok := s["allOf"].([]any)
	if !ok {
		return s
	}
	props := map[string]any{}
	for _, part := range all {
		m, _ := part.(map[string]any)
		p, _ := resolve(doc, m)["properties"].(map[string]any)
		for k, v := range p {
			props[k] = v
		}
	}
	return map[string]any{"type": "object", "properties": props}
}

var (
	rawType  = reflect.TypeOf(json.RawMessage{})
	timeType = reflect.TypeOf(time.Time{})
)

// checkSchema lists the ways Go type typ, as encoding/json writes it,
// departs from schema s, naming each field by its path from at.
func checkSchema(doc map[string]any, typ reflect.Type, s map[string]any, at string) []string {
	s = resolve(doc, s)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want, _ := s["type"].(string)
	var got string
	switch {
	case typ == rawType || typ.Kind() == reflect.Interface:
		return nil // any JSON value
	case typ == timeType, typ.Kind() == reflect.String:
		got = "string"
	case typ.Kind() == reflect.Bool:
		got = "boolean"
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		got = "integer"
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		got = "number"
	case typ.Kind() == reflect.Slice:
		got = "array"
	case typ.Kind() == reflect.Map, typ.Kind() == reflect.Struct:
		got = "object"
	}
	if want != "" && want != got && !(want == "integer" && got == "number") {
		return []string{fmt.Sprintf("%s is a %s in Go, a %s in the schema", at, typ.Kind(), want)}
	}
	switch typ.Kind() {
	case reflect.Slice:
		items, _ := s["items"].(map[string]any)
		if items == nil {
			return nil
		}
		return checkSchema(doc, typ.Elem(), items, at+"[]")
	case reflect.Struct:
		if typ == timeType {
			return nil
		}
		props, _ := s["properties"].(map[string]any)
		var out []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fs, ok := props[name].(map[string]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s is not in the schema", at, name))
				continue
			}
			out = append(out, checkSchema(doc, f.Type, fs, at+"."+name)...)
		}
		return out
	}
	return nil
}
