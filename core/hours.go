package core

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// BusinessHours are when a team answers: weekly opening hours in a time
// zone, minus holidays.
type BusinessHours struct {
	Location *time.Location
	// Weekly are the opening spans of each weekday (index time.Weekday),
	// in minutes after midnight, sorted.
	Weekly [7][]Span
	// Holidays are closed dates, "2006-01-02" in Location.
	Holidays []string
}

// Span is an opening span of one day: From up to (not including) To, in
// minutes after midnight; To may be 24*60.
type Span struct{ From, To int }

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseHours reads business hours as configured: a time zone name
// ("Europe/Berlin", "Asia/Shanghai"; empty: UTC), weekly hours by day
// ("mon-fri": "09:00-17:00", "sat": "10:00-12:00, 13:00-16:00", "sun":
// "closed"; days are mon…sun, ranges and comma lists of them, or "daily")
// and holidays as dates ("2026-12-25"). A day named twice is an error.
func ParseHours(tz string, weekly map[string]string, holidays []string) (*BusinessHours, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("time_zone %q is not a known IANA time zone (like Europe/Berlin)", tz)
		}
		loc = l
	}
	if len(weekly) == 0 {
		return nil, fmt.Errorf("weekly hours are required (like mon-fri: \"09:00-17:00\")")
	}
	b := &BusinessHours{Location: loc}
	var seen [7]bool
	keys := make([]string, 0, len(weekly))
	for k := range weekly {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		days, err := parseDays(k)
		if err != nil {
			return nil, err
		}
		spans, err := parseSpans(weekly[k])
		if err != nil {
			return nil, fmt.Errorf("weekly %s: %w", k, err)
		}
		for _, d := range days {
			if seen[d] {
				return nil, fmt.Errorf("weekly %s: %s is given twice", k, strings.ToLower(d.String()[:3]))
			}
			seen[d] = true
			b.Weekly[d] = spans
		}
	}
	for _, h := range holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, fmt.Errorf("holiday %q is not a date like 2026-12-25", h)
		}
		b.Holidays = append(b.Holidays, h)
	}
	return b, nil
}

func parseDays(spec string) ([]time.Weekday, error) {
	s := strings.ToLower(strings.TrimSpace(spec))
	if s == "daily" || s == "every day" {
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil
	}
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, ok1 := weekdays[strings.TrimSpace(from)]
		z, ok2 := a, true
		if isRange {
			z, ok2 = weekdays[strings.TrimSpace(to)]
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("weekly: %q is not a day or a range of days (mon, mon-fri, sat,sun, daily)", spec)
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == z {
				break
			}
		}
	}
	return out, nil
}

func parseSpans(spec string) ([]Span, error) {
	s := strings.ToLower(strings.TrimSpace(spec))
	if s == "closed" || s == "" {
		return nil, nil
	}
	var out []Span
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := clock(from)
		z, err2 := clock(to)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not a span of hours like 09:00-17:00 (or \"closed\")", part)
		}
		if z <= a {
			return nil, fmt.Errorf("%q ends before it starts; split a span past midnight into two days", part)
		}
		out = append(out, Span{From: a, To: z})
	}
	slices.SortFunc(out, func(x, y Span) int { return x.From - y.From })
	return out, nil
}

// clock reads "09:00" or "9:30" or "24:00" as minutes after midnight.
func clock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil {
		return 0, err
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

func (b *BusinessHours) holiday(local time.Time) bool {
	return slices.Contains(b.Holidays, local.Format(time.DateOnly))
}

// Open reports whether the team is open at t. Nil hours are always open.
func (b *BusinessHours) Open(t time.Time) bool {
	if b == nil {
		return true
	}
	local := t.In(b.Location)
	if b.holiday(local) {
		return false
	}
	mins := local.Hour()*60 + local.Minute()
	for _, s := range b.Weekly[local.Weekday()] {
		if mins >= s.From && mins < s.To {
			return true
		}
	}
	return false
}

// NextOpen returns the next time at or after t the team opens (t itself
// when it is open), in the hours' time zone, and false when it never opens
// within a year.
func (b *BusinessHours) NextOpen(t time.Time) (time.Time, bool) {
	if b.Open(t) {
		return t.In(b.location()), true
	}
	local := t.In(b.Location)
	y, m, d := local.Date()
	for i := 0; i <= 370; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, b.Location)
		if b.holiday(day) {
			continue
		}
		for _, s := range b.Weekly[day.Weekday()] {
			start := time.Date(day.Year(), day.Month(), day.Day(), s.From/60, s.From%60, 0, 0, b.Location)
			if start.After(t) {
				return start, true
			}
		}
	}
	return time.Time{}, false
}

func (b *BusinessHours) location() *time.Location {
	if b == nil || b.Location == nil {
		return time.UTC
	}
	return b.Location
}

// FormatOpening names an opening time for a customer in their language
// (en, or zh for Chinese), with the time zone, e.g. "Monday 14 December,
// 09:00 (Europe/Berlin time)" or "12月14日（星期一）09:00（Asia/Shanghai 时间）".
func FormatOpening(t time.Time, lang string) string {
	zone := t.Location().String()
	if zone == "Local" {
		zone, _ = t.Zone()
	}
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		wd := []string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}[t.Weekday()]
		return fmt.Sprintf("%d月%d日（%s）%s（%s 时间）", int(t.Month()), t.Day(), wd, t.Format("15:04"), zone)
	}
	return fmt.Sprintf("%s %d %s, %s (%s time)", t.Weekday(), t.Day(), t.Month(), t.Format("15:04"), zone)
}
