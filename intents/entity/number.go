package entity

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var digitNumber = regexp.MustCompile(`[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?`)

// Number finds numbers written with digits ("42", "1,200.5", "-3"), in
// English words ("twenty-five", "one hundred and five", "a dozen") and in
// Chinese numerals ("三十五", "两千", "一百零五"). Digits inside words (order
// numbers such as AB123456) are not numbers. Values are plain decimals:
// "1200.5", "25", "-3".
func Number(text string, _ Context) []Match {
	f := fold(text)
	return resolve(f, numberSpans(f))
}

func numberSpans(f folded) []span {
	var spans []span
	for _, loc := range digitNumber.FindAllStringIndex(f.s, -1) {
		start, end := loc[0], loc[1]
		if f.s[start] == '-' || f.s[start] == '+' {
			if start > 0 {
				prev, _ := utf8.DecodeLastRuneInString(f.s[:start])
				if isWordRune(prev) { // "AB-12": a hyphen, not a sign
					start++
				}
			}
		}
		dotBefore := start > 1 && f.s[start-1] == '.' && isDigit(f.s[start-2])
		dotAfter := end+1 < len(f.s) && f.s[end] == '.' && isDigit(f.s[end+1])
		if !bounded(f.s, start, end) || dotBefore || dotAfter { // 3.5.6 is a version, not a number
			continue
		}
		if v, ok := normalizeDecimal(f.s[start:end]); ok {
			spans = append(spans, span{start, end, v})
		}
	}
	spans = append(spans, wordNumberSpans(f)...)
	spans = append(spans, chineseNumberSpans(f)...)
	return spans
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// normalizeDecimal drops thousands separators, a leading '+', leading zeros
// and trailing fractional zeros.
func normalizeDecimal(s string) (string, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	s = strings.ReplaceAll(s, ",", "")
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if len(intPart) > 30 {
		return "", false
	}
	v := intPart
	if frac != "" {
		v += "." + frac
	}
	if neg && v != "0" {
		v = "-" + v
	}
	return v, true
}

var smallNumbers = map[string]int64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}

var scaleWords = map[string]int64{"hundred": 100, "thousand": 1000, "million": 1000000}

var wordRun = regexp.MustCompile(`[a-z]+`)

// wordNumberSpans reads English number words: runs of number words joined
// by spaces, hyphens and "and".
func wordNumberSpans(f folded) []span {
	words := wordRun.FindAllStringIndex(f.s, -1)
	var spans []span
	for i := 0; i < len(words); i++ {
		w := f.s[words[i][0]:words[i][1]]
		if _, ok := smallNumbers[w]; !ok || !bounded(f.s, words[i][0], words[i][1]) {
			continue
		}
		start := words[i][0]
		if i > 0 && f.s[words[i-1][0]:words[i-1][1]] == "a" && w == "dozen" {
			start = words[i-1][0]
		}
		var total, cur int64
		end := start
		j := i
		for ; j < len(words); j++ {
			w := f.s[words[j][0]:words[j][1]]
			if j > i && !onlySeparators(f.s[words[j-1][1]:words[j][0]]) {
				break
			}
			if n, ok := smallNumbers[w]; ok {
				if w == "dozen" {
					if cur == 0 {
						cur = 1
					}
					cur *= 12
				} else {
					cur += n
				}
			} else if m, ok := scaleWords[w]; ok && j > i {
				if m == 100 {
					cur *= 100
				} else {
					total += cur * m
					cur = 0
				}
			} else if w == "and" && j > i && j+1 < len(words) {
				if _, ok := smallNumbers[f.s[words[j+1][0]:words[j+1][1]]]; ok {
					continue
				}
				break
			} else {
				break
			}
			end = words[j][1]
		}
		spans = append(spans, span{start, end, strconv.FormatInt(total+cur, 10)})
		i = j - 1
	}
	return spans
}

func onlySeparators(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '-' {
			return false
		}
	}
	return len(s) > 0
}

var zhDigits = map[rune]int64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
var zhUnits = map[rune]int64{'十': 10, '百': 100, '千': 1000, '万': 10000, '亿': 100000000}

// zhNotNumber are words that start with a numeral but are not numbers.
var zhNotNumber = []string{"一下", "一些", "一点", "一样", "一起", "一直", "一定", "一般", "一切", "一会", "万一", "一旦", "一共", "一边", "一向"}

func isZhNumeral(r rune) bool {
	_, d := zhDigits[r]
	_, u := zhUnits[r]
	return d || u
}

func chineseNumberSpans(f folded) []span {
	var spans []span
	for i := 0; i < len(f.s); {
		r, n := utf8.DecodeRuneInString(f.s[i:])
		if !isZhNumeral(r) {
			i += n
			continue
		}
		j := i
		for j < len(f.s) {
			r2, n2 := utf8.DecodeRuneInString(f.s[j:])
			if !isZhNumeral(r2) {
				break
			}
			j += n2
		}
		skip := false
		for _, w := range zhNotNumber {
			if strings.HasPrefix(f.s[i:], w) {
				skip = true
			}
		}
		if v, ok := parseChineseNumber(f.s[i:j]); ok && !skip {
			spans = append(spans, span{i, j, strconv.FormatInt(v, 10)})
		}
		i = j
	}
	return spans
}

// parseChineseNumber reads numerals such as 三十五, 两千零五, 一二三 (digit by
// digit) and 十二万.
func parseChineseNumber(s string) (int64, bool) {
	var total, section, digit int64
	hasUnit := false
	for _, r := range s {
		if u, ok := zhUnits[r]; ok {
			hasUnit = true
			switch {
			case u >= 10000:
				section += digit
				if section == 0 {
					section = 1
				}
				total += section * u
				if total > 1e15 {
					return 0, false
				}
				section = 0
			default:
				if digit == 0 {
					digit = 1 // 十二 = 12
				}
				section += digit * u
			}
			digit = 0
			continue
		}
		digit = zhDigits[r]
	}
	if !hasUnit { // 一二三: digit by digit
		var v int64
		count := 0
		for _, r := range s {
			v = v*10 + zhDigits[r]
			count++
			if count > 15 {
				return 0, false
			}
		}
		return v, true
	}
	return total + section + digit, true
}
