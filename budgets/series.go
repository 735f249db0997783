package budgets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// The days Generate writes.
const (
	DaySteady = "steady" // the daily shape, with noise
	DayRamp   = "ramp"   // traffic grows from the morning and crosses the cap in the afternoon
	DayBurst  = "burst"  // one ten-minute burst at ten times the rate
	DayOutage = "outage" // the source stops before noon
	DayGap    = "gap"    // half an hour missing, then back
)

// GeneratedCapacity is the daily capacity Generate's series are judged
// against: a quarter above a steady day.
const GeneratedCapacity = 1.25 * steadyDay

// steadyDay is a steady day's expected total.
const steadyDay = 1e9

// Generate writes a usage series of 5-minute buckets, one day per entry of
// days (steady, ramp, burst, outage, gap), from start (a UTC midnight),
// with a daily shape peaking mid-afternoon and 10% noise.
func Generate(days []string, start time.Time, seed uint64) ([]Sample, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const step = 5 * time.Minute
	per := int(24 * time.Hour / step)
	shape := make([]float64, per)
	total := 0.0
	for i := range shape {
		h := float64(i) * step.Hours()
		z := (h - 14.5) / 4
		shape[i] = 0.25 + math.Exp(-z*z)
		total += shape[i]
	}
	for i := range shape {
		shape[i] *= steadyDay / total
	}
	var out []Sample
	for d, kind := range days {
		burstAt := 8*12 + r.IntN(8*12) // between 08:00 and 16:00
		for i := range per {
			h := float64(i) * step.Hours()
			v := shape[i] * (1 + 0.1*r.NormFloat64())
			switch kind {
			case DaySteady:
			case DayRamp:
				if h > 6 {
					v *= 1 + 0.09*(h-6)
				}
			case DayBurst:
				if i >= burstAt && i < burstAt+2 {
					v *= 10
				}
			case DayOutage:
				if h >= 11 {
					v = 0
				}
			case DayGap:
				if h >= 10 && h < 10.5 {
					v = 0
				}
			default:
				return nil, fmt.Errorf("day %d: %q is not %s", d, kind, strings.Join([]string{DaySteady, DayRamp, DayBurst, DayOutage, DayGap}, ", "))
			}
			out = append(out, Sample{At: start.Add(time.Duration(d)*24*time.Hour + time.Duration(i+1)*step), Value: math.Max(v, 0)})
		}
	}
	return out, nil
}
