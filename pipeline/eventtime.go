package pipeline

import (
	"sort"
	"strconv"
)

// Event time per input partition.
//
// The watermark (Advance) is the newest event time seen on any partition.
// A partition the consumer has caught up on is at that time too: whatever
// it delivers next is new. A partition with a backlog (consumer lag, told
// by the runner through Behind) is only as far as the newest event it has
// delivered; its events are not late against the others', and the
// entities it feeds are computed on its own time. An entity fed by more
// than one partition (an agent on voice and digital topics) is as far as
// the slowest of them.
//
// Entities leave state on the slowest partition's time, and an ended
// interaction not while one of its agents has events not computed yet
// (agentHeld): an agent on a partition behind may still hand it after-call
// work.

// partClock is one input partition's event time.
type partClock struct {
	newest int64 // the newest event time it delivered
	behind bool  // the consumer has a backlog on it
}

// Behind tells whether the consumer has a backlog on an input partition:
// true while records remain beyond those delivered, false once caught up.
func (p *Processor) Behind(topic string, partition int32, behind bool) {
	h := home{topic, partition}
	c := p.parts[h]
	if c.behind == behind {
		return
	}
	c.behind = behind
	p.parts[h] = c
}

// CaughtUp marks every partition caught up: the runner's input went quiet.
func (p *Processor) CaughtUp() {
	for h, c := range p.parts {
		if c.behind {
			c.behind = false
			p.parts[h] = c
		}
	}
}

// behindList names the partitions with a backlog, as topic/partition.
func (p *Processor) behindList() []string {
	var out []string
	for h, c := range p.parts {
		if c.behind {
			out = append(out, h.Topic+"/"+strconv.Itoa(int(h.Partition)))
		}
	}
	sort.Strings(out)
	return out
}

// saw records an event's time on its partition.
func (p *Processor) saw(h home, t int64) {
	if c, ok := p.parts[h]; !ok || t > c.newest {
		c.newest = t
		p.parts[h] = c
	}
}

// timeOf is the event time one partition has reached.
func (p *Processor) timeOf(h home) int64 {
	if c := p.parts[h]; c.behind {
		return min(c.newest, p.watermark)
	}
	return p.watermark
}

// timeOfEntity is the event time an entity fed by first and others has
// reached: the slowest of its partitions'.
func (p *Processor) timeOfEntity(first home, others []home) int64 {
	t := p.timeOf(first)
	for _, h := range others {
		t = min(t, p.timeOf(h))
	}
	return t
}

// slowest is the event time every partition has reached.
func (p *Processor) slowest() int64 {
	t := p.watermark
	for h, c := range p.parts {
		if c.behind {
			t = min(t, p.timeOf(h))
		}
	}
	return t
}

// addHome notes that an entity whose changelog home is first is also fed
// by h, and returns its other partitions.
func addHome(first home, others []home, h home) []home {
	if h == first {
		return others
	}
	for _, o := range others {
		if o == h {
			return others
		}
	}
	return append(others, h)
}

// homesOf returns the partitions other than first that events came from,
// for an entity restored from its snapshot.
func homesOf(first home, events []Event) []home {
	var others []home
	for i := range events {
		others = addHome(first, others, home{events[i].Topic, events[i].Partition})
	}
	return others
}
