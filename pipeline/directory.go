package pipeline

import "sort"

// Configuration object kinds carried by gca-cfg.
const (
	CfgAgent     = "agent"
	CfgQueue     = "queue"
	CfgSkill     = "skill"
	CfgMediaType = "media_type"
	CfgTenant    = "tenant"
)

// ConfigObject is one configured object. Agents are found by Id or any of
// Logins (the name the agent uses on a DN or a platform's user id); queues
// by Id or Address.
type ConfigObject struct {
	Kind    string
	ID      string
	Name    string
	Logins  []string
	Address string
}

// ConfigChange is one gca-cfg record: upserts, deletes, or a snapshot that
// replaces every object of the kinds it lists for its tenant.
type ConfigChange struct {
	Op      string
	Tenant  string
	Objects []ConfigObject
}

// placeholderPrefix starts the key of an agent or queue the configuration
// does not know yet. Facts carry it until the object is configured; then
// they are emitted again, resolved, with a higher version.
const placeholderPrefix = "unknown:"

// directory resolves the names events use to configured keys. It is owned
// by one Processor and not safe for concurrent use.
type directory struct {
	objects map[string]ConfigObject // tenant \x00 kind \x00 id
	byName  map[string]string       // tenant \x00 kind \x00 login or address → object key
}

func newDirectory() *directory {
	return &directory{objects: map[string]ConfigObject{}, byName: map[string]string{}}
}

func dirKey(tenant, kind, name string) string { return tenant + "\x00" + kind + "\x00" + name }

// resolve returns the configured id and name of the object an event calls
// name, or a placeholder key and false.
func (d *directory) resolve(tenant, kind, name string) (key, display string, ok bool) {
	if name == "" {
		return "", "", true
	}
	k, found := d.byName[dirKey(tenant, kind, name)]
	if !found {
		return placeholderPrefix + name, "", false
	}
	o := d.objects[k]
	return o.ID, o.Name, true
}

// apply changes the directory and returns the names whose resolution may
// have changed, so the facts that use them are computed again.
func (d *directory) apply(c *ConfigChange) []string {
	var touched []string
	if c.Op == "snapshot" {
		kinds := map[string]bool{}
		for _, o := range c.Objects {
			kinds[o.Kind] = true
		}
		keep := map[string]bool{}
		for _, o := range c.Objects {
			keep[dirKey(c.Tenant, o.Kind, o.ID)] = true
		}
		var gone []string
		for k, o := range d.objects {
			if kinds[o.Kind] && !keep[k] && k == dirKey(c.Tenant, o.Kind, o.ID) {
				gone = append(gone, k)
			}
		}
		sort.Strings(gone)
		for _, k := range gone {
			touched = append(touched, d.remove(k)...)
		}
	}
	for _, o := range c.Objects {
		k := dirKey(c.Tenant, o.Kind, o.ID)
		if c.Op == "delete" {
			touched = append(touched, d.remove(k)...)
			continue
		}
		touched = append(touched, d.remove(k)...)
		d.objects[k] = o
		for _, n := range o.names() {
			d.byName[dirKey(c.Tenant, o.Kind, n)] = k
			touched = append(touched, dirKey(c.Tenant, o.Kind, n))
		}
	}
	return touched
}

func (d *directory) remove(k string) []string {
	o, ok := d.objects[k]
	if !ok {
		return nil
	}
	tenant := k[:len(k)-len(o.Kind)-len(o.ID)-2]
	var touched []string
	for _, n := range o.names() {
		nk := dirKey(tenant, o.Kind, n)
		if d.byName[nk] == k {
			delete(d.byName, nk)
		}
		touched = append(touched, nk)
	}
	delete(d.objects, k)
	return touched
}

func (o ConfigObject) names() []string {
	names := []string{o.ID}
	names = append(names, o.Logins...)
	if o.Address != "" {
		names = append(names, o.Address)
	}
	return names
}

// cfgRecord is gca-cfg version 1.
type cfgRecord struct {
	Version int         `json:"version"`
	ID      string      `json:"id"`
	Op      string      `json:"op"`
	Time    string      `json:"time"`
	Tenant  string      `json:"tenant"`
	Objects []cfgObject `json:"objects"`
}

type cfgObject struct {
	Kind    string   `json:"kind"`
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Logins  []string `json:"logins"`
	Address string   `json:"address"`
}

// maxConfigObjects bounds one gca-cfg record; a larger snapshot is split by
// kind or by tenant upstream.
const maxConfigObjects = 100000

func decodeConfig(raw []byte, dst []Event) ([]Event, error) {
	var r cfgRecord
	if err := unmarshalStrict(raw, &r); err != nil {
		return dst, err
	}
	var c fieldCheck
	c.version(r.Version, 1)
	c.oneOf("op", c.required("op", r.Op), "upsert", "delete", "snapshot")
	e := Event{Kind: KindConfig, Time: c.time("time", r.Time), Tenant: c.required("tenant", r.Tenant), ID: c.short("id", r.ID)}
	if c.err == nil && len(r.Objects) == 0 && r.Op != "snapshot" {
		c.err = invalid(ReasonSchema, "objects", "is required")
	}
	if c.err == nil && len(r.Objects) > maxConfigObjects {
		c.err = invalid(ReasonTooLarge, "objects", "holds %d objects, more than %d", len(r.Objects), maxConfigObjects)
	}
	ch := &ConfigChange{Op: r.Op, Tenant: r.Tenant, Objects: make([]ConfigObject, 0, len(r.Objects))}
	for i, o := range r.Objects {
		if c.err != nil {
			break
		}
		f := "objects[" + itoa(i) + "]"
		c.oneOf(f+".kind", c.required(f+".kind", o.Kind), CfgAgent, CfgQueue, CfgSkill, CfgMediaType, CfgTenant)
		c.required(f+".id", o.ID)
		c.short(f+".name", o.Name)
		c.short(f+".address", o.Address)
		for j, l := range o.Logins {
			c.required(f+".logins["+itoa(j)+"]", l)
		}
		ch.Objects = append(ch.Objects, ConfigObject(o))
	}
	if err := c.result(); err != nil {
		return dst, err
	}
	e.Config = ch
	return append(dst, e), nil
}
