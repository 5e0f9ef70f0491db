package entity

import (
	"strconv"
	"strings"
)

// currencyBefore are markers written before the amount ("€5", "usd 5").
var currencyBefore = []struct{ marker, code string }{
	{"us$", "USD"}, {"$", "USD"}, {"€", "EUR"}, {"£", "GBP"}, {"¥", "CNY"}, {"￥", "CNY"},
	{"eur", "EUR"}, {"usd", "USD"}, {"gbp", "GBP"}, {"cny", "CNY"}, {"rmb", "CNY"},
}

// currencyAfter are markers written after the amount ("5 euros", "30块").
var currencyAfter = []struct{ marker, code string }{
	{"euros", "EUR"}, {"euro", "EUR"}, {"eur", "EUR"}, {"€", "EUR"},
	{"dollars", "USD"}, {"dollar", "USD"}, {"bucks", "USD"}, {"usd", "USD"}, {"$", "USD"},
	{"pounds", "GBP"}, {"pound", "GBP"}, {"gbp", "GBP"}, {"£", "GBP"},
	{"yuan", "CNY"}, {"rmb", "CNY"}, {"cny", "CNY"},
	{"块钱", "CNY"}, {"块", "CNY"}, {"元", "CNY"}, {"人民币", "CNY"},
	{"欧元", "EUR"}, {"美元", "USD"}, {"美金", "USD"}, {"英镑", "GBP"},
}

// Money finds amounts with a currency: "€4.90", "12 euros", "$5", "USD 30",
// "30块", "五十元", "100欧元". Values are the amount with two decimals and
// the ISO 4217 code: "4.90 EUR". ¥, 元 and 块 are read as CNY and $ as USD.
// An amount without a currency is a number, not money.
func Money(text string, _ Context) []Match {
	f := fold(text)
	var spans []span
	for _, n := range numberSpans(f) {
		if strings.HasPrefix(n.value, "-") {
			continue
		}
		amount, err := strconv.ParseFloat(n.value, 64)
		if err != nil || amount > 1e15 {
			continue
		}
		value := func(code string) string { return strconv.FormatFloat(amount, 'f', 2, 64) + " " + code }
		before := strings.TrimRight(f.s[:n.start], " ")
		after := strings.TrimLeft(f.s[n.end:], " ")
		found := false
		for _, c := range currencyBefore {
			if strings.HasSuffix(before, c.marker) {
				start := len(before) - len(c.marker)
				if bounded(f.s, start, n.end) {
					spans = append(spans, span{start, n.end, value(c.code)})
					found = true
					break
				}
			}
		}
		if found {
			continue
		}
		for _, c := range currencyAfter {
			if strings.HasPrefix(after, c.marker) {
				end := len(f.s) - len(after) + len(c.marker)
				if bounded(f.s, n.start, end) {
					spans = append(spans, span{n.start, end, value(c.code)})
					break
				}
			}
		}
	}
	return resolve(f, spans)
}
