package entity

import (
	"fmt"
	"regexp"
	"strings"
)

// Time finds times of day and normalises them to 24-hour HH:MM: "3pm",
// "3:30 p.m.", "15:30", "noon", "midnight", "7 o'clock", 下午3点, 晚上八点半,
// 10点15分, 中午. Hours and minutes out of range are not times.
func Time(text string, _ Context) []Match {
	f := fold(text)
	var spans []span
	add := func(start, end, h, m int) {
		if h >= 0 && h <= 24 && m >= 0 && m < 60 && !(h == 24 && m > 0) && bounded(f.s, start, end) {
			spans = append(spans, span{start, end, fmt.Sprintf("%02d:%02d", h%24, m)})
		}
	}
	for _, m := range enTime.FindAllStringSubmatchIndex(f.s, -1) {
		g := groups(f.s, m)
		h, min := atoi(g[1]), 0
		if g[2] != "" {
			min = atoi(g[2])
		}
		if g[2] == "" && g[3] == "" && g[4] == "" {
			continue // a bare number is not a time
		}
		switch ap := strings.ReplaceAll(g[3], ".", ""); {
		case ap == "am" && h == 12:
			h = 0
		case ap == "pm" && h >= 1 && h < 12:
			h += 12
		case ap != "" && (h < 1 || h > 12):
			continue
		}
		add(m[0], m[1], h, min)
	}
	for _, m := range enNamedTime.FindAllStringIndex(f.s, -1) {
		h := 12
		if strings.HasPrefix(f.s[m[0]:m[1]], "mid") {
			h = 0
		}
		add(m[0], m[1], h, 0)
	}
	for _, m := range zhTime.FindAllStringSubmatchIndex(f.s, -1) {
		g := groups(f.s, m)
		h, min := zhAtoi(g[2]), 0
		switch g[3] {
		case "":
		case "半":
			min = 30
		case "一刻":
			min = 15
		case "三刻":
			min = 45
		default:
			min = zhAtoi(strings.TrimSuffix(strings.TrimSuffix(g[3], "分"), " "))
		}
		switch g[1] {
		case "下午", "晚上", "傍晚", "今晚", "晚":
			if h >= 1 && h < 12 {
				h += 12
			}
		case "中午":
			if h >= 1 && h < 3 {
				h += 12
			}
		case "凌晨", "半夜":
			if h == 12 {
				h = 0
			}
		}
		add(m[0], m[1], h, min)
	}
	for _, m := range zhNamedTime.FindAllStringIndex(f.s, -1) {
		add(m[0], m[1], 12, 0)
	}
	return resolve(f, spans)
}

var (
	enTime      = regexp.MustCompile(`([0-9]{1,2})(?::([0-9]{2}))?\s*(?:(a\.m\.|p\.m\.|am|pm)|(o'?clock))?`)
	enNamedTime = regexp.MustCompile(`\b(?:noon|midday|midnight)\b`)
	zhTime      = regexp.MustCompile(`(早上|早晨|上午|中午|下午|傍晚|晚上|今晚|凌晨|半夜|晚)?\s*(` + zhNum + `)\s*[点點时時]\s*(半|一刻|三刻|(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*分?)?`)
	zhNamedTime = regexp.MustCompile(`中午(?:12点|十二点)?`)
)

// groups returns the submatches of one FindAllStringSubmatchIndex result.
func groups(s string, m []int) []string {
	g := make([]string, len(m)/2)
	for i := range g {
		if m[2*i] >= 0 {
			g[i] = s[m[2*i]:m[2*i+1]]
		}
	}
	return g
}
