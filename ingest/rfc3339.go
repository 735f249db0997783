package ingest

// parseRFC3339UTC reads the timestamp shape most shippers write, RFC 3339
// in UTC ("2006-01-02T15:04:05Z", with or without a fraction), as unix
// milliseconds, several times faster than time.Parse and UnixMilli. It
// accepts a subset of what time.Parse(time.RFC3339Nano, v) accepts and
// returns the same milliseconds; anything else (other zones, odd
// fractions) it leaves to time.Parse by returning false.
// FuzzParseRFC3339UTC holds it to that.
func parseRFC3339UTC(v string) (int64, bool) {
	const n = len("2006-01-02T15:04:05")
	if len(v) < n+1 || v[len(v)-1] != 'Z' ||
		v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' {
		return 0, false
	}
	// A byte less '0' is past 9 unless it is a digit (bytes wrap).
	y0, y1, y2, y3 := v[0]-'0', v[1]-'0', v[2]-'0', v[3]-'0'
	mo0, mo1, d0, d1 := v[5]-'0', v[6]-'0', v[8]-'0', v[9]-'0'
	h0, h1, mi0, mi1, s0, s1 := v[11]-'0', v[12]-'0', v[14]-'0', v[15]-'0', v[17]-'0', v[18]-'0'
	if max(y0, y1, y2, y3, mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1) > 9 {
		return 0, false
	}
	year := int(y0)*1000 + int(y1)*100 + int(y2)*10 + int(y3)
	month, day := int(mo0)*10+int(mo1), int(d0)*10+int(d1)
	hour, minute, sec := int(h0)*10+int(h1), int(mi0)*10+int(mi1), int(s0)*10+int(s1)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	ms, ok := fractionMillis(v[n : len(v)-1])
	if !ok {
		return 0, false
	}
	secs := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
	return secs*1000 + int64(ms), true
}

// fractionMillis reads "" or a dot and at least one digit as milliseconds:
// only the first three digits count (time.Parse keeps nine, and UnixMilli
// drops six of them).
func fractionMillis(frac string) (int, bool) {
	if frac == "" {
		return 0, true
	}
	if len(frac) < 2 || frac[0] != '.' {
		return 0, false
	}
	ms := 0
	for i := 1; i < len(frac); i++ {
		c := frac[i] - '0'
		if c > 9 {
			return 0, false
		}
		if i <= 3 {
			ms = ms*10 + int(c)
		}
	}
	for i := len(frac); i <= 3; i++ {
		ms *= 10
	}
	return ms, true
}

// daysIn is the number of days in month of year (proleptic Gregorian).
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch is the number of days from 1970-01-01 to the date, for
// years 0 to 9999: Howard Hinnant's days_from_civil, on years shifted by
// one 400-year era so that all the arithmetic is on positive numbers.
func daysSinceEpoch(year, month, day int) int64 {
	const eraDays = 146097
	y := uint(year) + 400
	if month <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400                                  // [0, 399]
	doy := (153*uint((month+9)%12)+2)/5 + uint(day) - 1 // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy              // [0, 146096]
	return int64(era*eraDays+doe) - 719468 - eraDays
}
