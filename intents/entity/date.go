package entity

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Date finds dates and normalises them to ISO 8601 (2026-12-03), relative
// to c.Now in c.Location. It reads:
//
//   - explicit dates: 2026-12-03, 2026/12/3, 12/3 and 12/3/2026 (month first
//     unless c.DayFirst), "December 3", "Dec 3rd, 2026", "3 December",
//     "the 3rd of December", 2026年12月3日, 12月3日, 12月3号, 十二月三号, 3号;
//   - relative days: today, tonight, tomorrow, the day after tomorrow,
//     yesterday, "in 3 days", "in two weeks", "5 days from now", "next
//     week", 今天, 明天, 后天, 大后天, 昨天, 前天, 3天后, 两周后, 下周;
//   - weekdays: "friday", "on friday", "coming friday" and 周五 (the next
//     one, today included); "next friday" (the next Friday after today:
//     tomorrow on a Thursday, in a week on a Friday, in six days on a
//     Saturday); "this friday" and 这周五/本周五 (this week's, Monday to
//     Sunday); 下周五/下个星期五 (next week's, as 下周 says in Chinese);
//     "last friday" and 上周五 (last week's).
//
// A date without a year is the one closest to today. Impossible dates (2/30)
// are not dates.
func Date(text string, c Context) []Match {
	f := fold(text)
	today := c.today()
	var spans []span
	for _, r := range dateRules {
		for _, m := range r.re.FindAllStringSubmatchIndex(f.s, -1) {
			if !bounded(f.s, m[0], m[1]) {
				continue
			}
			groups := make([]string, len(m)/2)
			for i := range groups {
				if m[2*i] >= 0 {
					groups[i] = f.s[m[2*i]:m[2*i+1]]
				}
			}
			if d, ok := r.apply(groups, today, c); ok {
				spans = append(spans, span{m[0], m[1], d.Format("2006-01-02")})
			}
		}
	}
	return resolve(f, spans)
}

type dateRule struct {
	re    *regexp.Regexp
	apply func(g []string, today time.Time, c Context) (time.Time, bool)
}

const (
	monthNames = `january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec`
	enWeekdays = `monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thu|fri|sat|sun`
	zhNum      = `[0-9]{1,2}|[一二两三四五六七八九十]{1,3}`
	ordinal    = `(?:st|nd|rd|th)?`
	smallCount = `[0-9]{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve`
)

var dateRules = []dateRule{
	{regexp.MustCompile(`([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})`), func(g []string, _ time.Time, c Context) (time.Time, bool) {
		return ymd(atoi(g[1]), atoi(g[2]), atoi(g[3]), c)
	}},
	{regexp.MustCompile(`([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?`), func(g []string, today time.Time, c Context) (time.Time, bool) {
		m, d := atoi(g[1]), atoi(g[2])
		if c.DayFirst {
			m, d = d, m
		}
		if g[3] == "" {
			return closest(m, d, today)
		}
		y := atoi(g[3])
		if y < 100 {
			y += 2000
		}
		return ymd(y, m, d, c)
	}},
	{regexp.MustCompile(`(` + monthNames + `)\.?\s+(?:the\s+)?([0-9]{1,2})` + ordinal + `(?:,?\s*([0-9]{4}))?`), func(g []string, today time.Time, c Context) (time.Time, bool) {
		return withYear(g[3], monthIndex(g[1]), atoi(g[2]), today, c)
	}},
	{regexp.MustCompile(`(?:the\s+)?([0-9]{1,2})` + ordinal + `\s+(?:of\s+)?(` + monthNames + `)\.?(?:,?\s*([0-9]{4}))?`), func(g []string, today time.Time, c Context) (time.Time, bool) {
		return withYear(g[3], monthIndex(g[2]), atoi(g[1]), today, c)
	}},
	{regexp.MustCompile(`(?:([0-9]{4}|[零〇一二三四五六七八九]{4})\s*年\s*)?(` + zhNum + `)\s*月\s*(` + zhNum + `)\s*[日号號]?`), func(g []string, today time.Time, c Context) (time.Time, bool) {
		return withYear(zhYear(g[1]), zhAtoi(g[2]), zhAtoi(g[3]), today, c)
	}},
	{regexp.MustCompile(`(` + zhNum + `)\s*[号號]`), func(g []string, today time.Time, c Context) (time.Time, bool) {
		d := zhAtoi(g[1])
		best, ok := time.Time{}, false
		for _, delta := range []int{0, 1, -1} {
			t := time.Date(today.Year(), today.Month()+time.Month(delta), d, 0, 0, 0, 0, today.Location())
			if t.Day() != d {
				continue
			}
			if !ok || absDays(t, today) < absDays(best, today) {
				best, ok = t, true
			}
		}
		return best, ok
	}},
	{regexp.MustCompile(`(?:the\s+)?day\s+after\s+tomorrow|(?:the\s+)?day\s+before\s+yesterday|today|tonight|tomorrow|tmrw|tmr|yesterday|大后天|大前天|今天|今日|今晚|明天|明日|明晚|后天|昨天|昨日|前天`), func(g []string, today time.Time, _ Context) (time.Time, bool) {
		return today.AddDate(0, 0, relativeDays[strings.Join(strings.Fields(strings.TrimPrefix(g[0], "the ")), " ")]), true
	}},
	{regexp.MustCompile(`in\s+(` + smallCount + `)\s+(days?|weeks?)|(` + smallCount + `)\s+(days?|weeks?)\s+from\s+(?:now|today)`), func(g []string, today time.Time, _ Context) (time.Time, bool) {
		n, unit := g[1], g[2]
		if n == "" {
			n, unit = g[3], g[4]
		}
		return addUnits(today, countWord(n), strings.HasPrefix(unit, "week"))
	}},
	{regexp.MustCompile(`(` + zhNum + `)\s*(?:个)?(天|日|周|星期|礼拜|禮拜)\s*(?:以后|之后|后|後)`), func(g []string, today time.Time, _ Context) (time.Time, bool) {
		return addUnits(today, zhAtoi(g[1]), g[2] != "天" && g[2] != "日")
	}},
	{regexp.MustCompile(`next\s+week|下(?:个)?(?:周|星期|礼拜|禮拜)`), func(_ []string, today time.Time, _ Context) (time.Time, bool) {
		return today.AddDate(0, 0, 7), true
	}},
	{regexp.MustCompile(`(?:(this|next|last|coming|on)\s+)?(` + enWeekdays + `)\b`), func(g []string, today time.Time, _ Context) (time.Time, bool) {
		day, full := enWeekday(g[2])
		if !full && g[1] == "" {
			return time.Time{}, false // "sat", "sun", "wed" alone are too often other words
		}
		return weekday(today, day, map[string]string{"this": "this", "next": "after", "last": "last"}[g[1]]), true
	}},
	{regexp.MustCompile(`(这个|这|本|下下个|下下|下个|下|上个|上)?\s*(?:周|星期|礼拜|禮拜|週)\s*([一二三四五六日天1-7])`), func(g []string, today time.Time, _ Context) (time.Time, bool) {
		day := strings.Index("一二三四五六日", g[2]) / 3 // Monday = 0
		switch g[2] {
		case "天", "7":
			day = 6
		case "1", "2", "3", "4", "5", "6":
			day = atoi(g[2]) - 1
		}
		which := ""
		switch g[1] {
		case "这个", "这", "本":
			which = "this"
		case "下个", "下":
			which = "next"
		case "下下个", "下下":
			return weekday(today, day, "next").AddDate(0, 0, 7), true
		case "上个", "上":
			which = "last"
		}
		return weekday(today, day, which), true
	}},
}

var relativeDays = map[string]int{
	"today": 0, "tonight": 0, "今天": 0, "今日": 0, "今晚": 0,
	"tomorrow": 1, "tmrw": 1, "tmr": 1, "明天": 1, "明日": 1, "明晚": 1,
	"day after tomorrow": 2, "后天": 2, "大后天": 3,
	"yesterday": -1, "昨天": -1, "昨日": -1,
	"day before yesterday": -2, "前天": -2, "大前天": -3,
}

// weekday returns the date of day (Monday = 0): which "" is the next one
// from today on, "after" the next one after today, "this" the one of this
// week (Monday to Sunday), "next" the one of next week and "last" the one
// of last week.
func weekday(today time.Time, day int, which string) time.Time {
	cur := (int(today.Weekday()) + 6) % 7
	monday := today.AddDate(0, 0, -cur)
	switch which {
	case "after":
		return today.AddDate(0, 0, (day-cur+6)%7+1)
	case "this":
		return monday.AddDate(0, 0, day)
	case "next":
		return monday.AddDate(0, 0, 7+day)
	case "last":
		return monday.AddDate(0, 0, -7+day)
	}
	return today.AddDate(0, 0, (day-cur+7)%7)
}

func enWeekday(s string) (day int, full bool) {
	for i, name := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		if s == name {
			return i, true
		}
		if strings.HasPrefix(name, s) {
			return i, false
		}
	}
	return 0, false
}

func monthIndex(s string) int {
	for i, name := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(s, name) {
			return i + 1
		}
	}
	return 0
}

func atoi(s string) int {
	if len(s) > 6 {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// zhAtoi reads digits or a small Chinese numeral.
func zhAtoi(s string) int {
	if n := atoi(s); n >= 0 {
		return n
	}
	if v, ok := parseChineseNumber(s); ok && v < 1000 {
		return int(v)
	}
	return -1
}

func zhYear(s string) string {
	if s == "" || atoi(s) >= 0 {
		return s
	}
	v, _ := parseChineseNumber(s) // 二零二六: digit by digit
	return strconv.FormatInt(v, 10)
}

func countWord(s string) int {
	if n := atoi(s); n >= 0 {
		return n
	}
	if s == "a" || s == "an" {
		return 1
	}
	if n, ok := smallNumbers[s]; ok {
		return int(n)
	}
	return -1
}

func addUnits(today time.Time, n int, weeks bool) (time.Time, bool) {
	if n < 0 || n > 3660 {
		return time.Time{}, false
	}
	if weeks {
		n *= 7
	}
	return today.AddDate(0, 0, n), true
}

func ymd(y, m, d int, c Context) (time.Time, bool) {
	if y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	return t, t.Day() == d && int(t.Month()) == m
}

func withYear(year string, m, d int, today time.Time, c Context) (time.Time, bool) {
	if year != "" {
		return ymd(atoi(year), m, d, c)
	}
	return closest(m, d, today)
}

// closest returns month/day in the year around today that is closest to it.
func closest(m, d int, today time.Time) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	best, ok := time.Time{}, false
	for _, y := range []int{today.Year(), today.Year() + 1, today.Year() - 1} {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, today.Location())
		if t.Day() != d {
			continue // 2/29 in a year without it, 4/31
		}
		if !ok || absDays(t, today) < absDays(best, today) {
			best, ok = t, true
		}
	}
	return best, ok
}

func absDays(a, b time.Time) float64 {
	d := a.Sub(b).Hours()
	if d < 0 {
		d = -d
	}
	return d
}
