package entity

import (
	"slices"
	"testing"
	"time"
)

// values returns the values of matches.
func values(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Value)
	}
	return out
}

// berlin is Tuesday 24 November 2026, 23:30 in Berlin: already the 25th in
// Shanghai and still the 24th in UTC (22:30).
func berlinCtx(t *testing.T) Context {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return Context{Now: time.Date(2026, 11, 24, 23, 30, 0, 0, loc), Location: loc}
}

func TestDate(t *testing.T) {
	c := berlinCtx(t)
	dayFirst := c
	dayFirst.DayFirst = true
	tests := []struct {
		text string
		c    Context
		want []string
	}{
		{"tomorrow", c, []string{"2026-11-25"}},
		{"Tomorrow please", c, []string{"2026-11-25"}},
		{"the day after tomorrow", c, []string{"2026-11-26"}},
		{"today or yesterday", c, []string{"2026-11-24", "2026-11-23"}},
		{"next friday", c, []string{"2026-11-27"}}, // the next Friday after Tuesday 24th
		{"this friday", c, []string{"2026-11-27"}},
		{"on Friday", c, []string{"2026-11-27"}},
		{"tuesday", c, []string{"2026-11-24"}},
		{"last monday", c, []string{"2026-11-16"}},
		{"next sat", c, []string{"2026-11-28"}},
		{"I sat down", c, nil},
		{"in 3 days", c, []string{"2026-11-27"}},
		{"in two weeks", c, []string{"2026-12-08"}},
		{"5 days from now", c, []string{"2026-11-29"}},
		{"next week", c, []string{"2026-12-01"}},
		{"2026-12-03", c, []string{"2026-12-03"}},
		{"on 2026/12/3 at noon", c, []string{"2026-12-03"}},
		{"12/3", c, []string{"2026-12-03"}},
		{"12/3", dayFirst, []string{"2027-03-12"}},
		{"1/15/2027", c, []string{"2027-01-15"}},
		{"December 3", c, []string{"2026-12-03"}},
		{"dec. 3rd, 2027", c, []string{"2027-12-03"}},
		{"the 3rd of December", c, []string{"2026-12-03"}},
		{"3 jan", c, []string{"2027-01-03"}},
		{"明天", c, []string{"2026-11-25"}},
		{"我明天在家", c, []string{"2026-11-25"}},
		{"后天", c, []string{"2026-11-26"}},
		{"大后天", c, []string{"2026-11-27"}},
		{"昨天", c, []string{"2026-11-23"}},
		{"下周五", c, []string{"2026-12-04"}},
		{"下个星期五", c, []string{"2026-12-04"}},
		{"这周五", c, []string{"2026-11-27"}},
		{"本周一", c, []string{"2026-11-23"}},
		{"上周三", c, []string{"2026-11-18"}},
		{"周日", c, []string{"2026-11-29"}},
		{"礼拜天", c, []string{"2026-11-29"}},
		{"下下周一", c, []string{"2026-12-07"}},
		{"下周", c, []string{"2026-12-01"}},
		{"3天后", c, []string{"2026-11-27"}},
		{"两周后", c, []string{"2026-12-08"}},
		{"12月3日", c, []string{"2026-12-03"}},
		{"12月3号", c, []string{"2026-12-03"}},
		{"十二月三号", c, []string{"2026-12-03"}},
		{"2027年1月5日", c, []string{"2027-01-05"}},
		{"二零二七年一月五日", c, []string{"2027-01-05"}},
		{"3号", c, []string{"2026-12-03"}},
		{"２０２６－１２－０３", c, []string{"2026-12-03"}},
		{"2/30", c, nil},
		{"2026-02-29", c, nil},
		{"order AB123456", c, nil},
		{"1234567890123", c, nil},
		{"", c, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := values(Date(tt.text, tt.c)); !slices.Equal(got, tt.want) {
				t.Errorf("Date(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestDateTimeZone checks that "tomorrow" depends on the configured zone.
func TestDateTimeZone(t *testing.T) {
	c := berlinCtx(t)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{{c.Location, "2026-11-25"}, {shanghai, "2026-11-26"}, {nil, "2026-11-25"}} {
		c.Location = tc.loc
		if got := values(Date("tomorrow", c)); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("tomorrow in %v = %v, want %s", tc.loc, got, tc.want)
		}
	}
	// A zero Context reads the machine's clock: accept the date before or
	// after the call, so the test passes across midnight and in any year.
	before := time.Now().UTC().Format("2006-01-02")
	got := Date("today", Context{})
	after := time.Now().UTC().Format("2006-01-02")
	if len(got) != 1 || (got[0].Value != before && got[0].Value != after) {
		t.Errorf("today with zero context = %v, want %s", got, before)
	}
}

func TestMatchOffsets(t *testing.T) {
	text := "Ａ: 明天 or tomorrow"
	for _, m := range Date(text, berlinCtx(t)) {
		if text[m.Start:m.End] != m.Text {
			t.Errorf("match %+v: text[%d:%d] = %q", m, m.Start, m.End, text[m.Start:m.End])
		}
	}
	if got := Date(text, berlinCtx(t)); len(got) != 2 || got[0].Text != "明天" || got[1].Text != "tomorrow" {
		t.Errorf("matches = %+v", got)
	}
}

func TestTime(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"3pm", []string{"15:00"}},
		{"at 3:30 p.m.", []string{"15:30"}},
		{"15:30", []string{"15:30"}},
		{"12am", []string{"00:00"}},
		{"12 pm", []string{"12:00"}},
		{"noon or midnight", []string{"12:00", "00:00"}},
		{"7 o'clock", []string{"07:00"}},
		{"下午3点", []string{"15:00"}},
		{"晚上八点半", []string{"20:30"}},
		{"10点15分", []string{"10:15"}},
		{"中午", []string{"12:00"}},
		{"凌晨12点", []string{"00:00"}},
		{"25:00", nil},
		{"13pm", nil},
		{"I have 3 items", nil},
	}
	for _, tt := range tests {
		if got := values(Time(tt.text, Context{})); !slices.Equal(got, tt.want) {
			t.Errorf("Time(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestNumberAndMoney(t *testing.T) {
	numbers := []struct {
		text string
		want []string
	}{
		{"I want 3", []string{"3"}},
		{"1,200.50 and -4", []string{"1200.5", "-4"}},
		{"007", []string{"7"}},
		{"twenty-five", []string{"25"}},
		{"one hundred and five items", []string{"105"}},
		{"two thousand three hundred", []string{"2300"}},
		{"a dozen", []string{"12"}},
		{"三十五", []string{"35"}},
		{"一百零五", []string{"105"}},
		{"两千", []string{"2000"}},
		{"十二万", []string{"120000"}},
		{"看一下", nil},
		{"order AB123456", nil},
		{"AB-12", []string{"12"}},
		{"3.5.6", nil},
	}
	for _, tt := range numbers {
		if got := values(Number(tt.text, Context{})); !slices.Equal(got, tt.want) {
			t.Errorf("Number(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	money := []struct {
		text string
		want []string
	}{
		{"€4.90", []string{"4.90 EUR"}},
		{"it cost 12 euros", []string{"12.00 EUR"}},
		{"$5 or 3 pounds", []string{"5.00 USD", "3.00 GBP"}},
		{"USD 30", []string{"30.00 USD"}},
		{"30块", []string{"30.00 CNY"}},
		{"五十元", []string{"50.00 CNY"}},
		{"100欧元", []string{"100.00 EUR"}},
		{"1,299.99 €", []string{"1299.99 EUR"}},
		{"3 items", nil},
	}
	for _, tt := range money {
		if got := values(Money(tt.text, Context{})); !slices.Equal(got, tt.want) {
			t.Errorf("Money(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestContact(t *testing.T) {
	tests := []struct {
		name string
		fn   Func
		text string
		want []string
	}{
		{"email", Email, "write to Ann.Lee+shop@Example.COM.", []string{"Ann.Lee+shop@example.com"}},
		{"email none", Email, "ann@localhost or @example.com", nil},
		{"phone intl", Phone, "call +49 30 1234-5678 please", []string{"+493012345678"}},
		{"phone 00", Phone, "0044 20 7946 0018", []string{"+442079460018"}},
		{"phone parens", Phone, "(020) 7946 0018", []string{"02079460018"}},
		{"phone cn", Phone, "我的电话是13800138000", []string{"13800138000"}},
		{"phone date", Phone, "2026-12-03", nil},
		{"phone short", Phone, "123 45", nil},
		{"phone in id", Phone, "AB123456789", nil},
		{"url", URL, "see https://example.com/a?b=1.", []string{"https://example.com/a?b=1"}},
		{"url www", URL, "(www.example.com)", []string{"https://www.example.com"}},
		{"url zh", URL, "网址是https://example.cn，谢谢", []string{"https://example.cn"}},
		{"yes", YesNo, "Yes please", []string{"yes"}},
		{"yes zh", YesNo, "是的，没错", []string{"yes"}},
		{"ok", YesNo, "ok", []string{"yes"}},
		{"no", YesNo, "no, that's not right", []string{"no"}},
		{"no zh", YesNo, "不对", []string{"no"}},
		{"bu yao", YesNo, "不要", []string{"no"}},
		{"neither", YesNo, "maybe later", nil},
		{"text", Text, "  12 Baker Street, London ", []string{"12 Baker Street, London"}},
		{"text empty", Text, "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := values(tt.fn(tt.text, Context{})); !slices.Equal(got, tt.want) {
				t.Errorf("%q = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestListAndRegex(t *testing.T) {
	size, err := NewList([]ListValue{
		{Value: "S", Synonyms: []string{"small", "小号"}},
		{Value: "M", Synonyms: []string{"medium", "中号"}},
		{Value: "XL", Synonyms: []string{"extra large", "加大号"}},
		{Value: "L", Synonyms: []string{"large", "大号"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"a SMALL one", []string{"S"}},
		{"extra large please", []string{"XL"}},
		{"我要小号", []string{"S"}},
		{"加大号", []string{"XL"}},
		{"smaller", nil},
		{"m", []string{"M"}},
		{"large or medium", []string{"L", "M"}},
	}
	for _, tt := range tests {
		if got := values(size.Extract(tt.text, Context{})); !slices.Equal(got, tt.want) {
			t.Errorf("size %q = %q, want %q", tt.text, got, tt.want)
		}
	}
	if !size.Has("XL") || size.Has("small") || !slices.Equal(size.Values(), []string{"S", "M", "XL", "L"}) {
		t.Errorf("Values = %v", size.Values())
	}
	if _, err := NewList([]ListValue{{Value: "a", Synonyms: []string{"x"}}, {Value: "b", Synonyms: []string{"X"}}}); err == nil {
		t.Error("a synonym of two values was accepted")
	}
	if _, err := NewList([]ListValue{{Value: " "}}); err == nil {
		t.Error("an empty value was accepted")
	}

	id, err := NewRegex(`#?\b([A-Z]{2}\d{6})\b`)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(id.Extract("it's #AB123456, not XY1234567", Context{})); !slices.Equal(got, []string{"AB123456"}) {
		t.Errorf("regex = %q", got)
	}
	whole, _ := NewRegex(`\d{3}`)
	if got := values(whole.Extract("123 4567", Context{})); !slices.Equal(got, []string{"123", "456"}) {
		t.Errorf("regex without group = %q", got)
	}
	for _, bad := range []string{`[A-Z`, `a*`} {
		if _, err := NewRegex(bad); err == nil {
			t.Errorf("NewRegex(%q) accepted", bad)
		}
	}
}

func TestBuiltin(t *testing.T) {
	for _, name := range BuiltinNames() {
		if _, ok := Builtin(name); !ok {
			t.Errorf("Builtin(%q) missing", name)
		}
	}
	if _, ok := Builtin("colour"); ok {
		t.Error("unknown built-in found")
	}
}

// "next friday" is the next Friday after today, on every day of the week;
// "friday" includes today; 下周五 is next week's Friday. The clock is
// injected; the week is one of 2026 but the rule does not depend on it.
func TestNextWeekdayEveryDay(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		today                     string // a date of the week of Monday 2026-11-23
		nextFriday, friday, xiaZ5 string
	}{
		{"2026-11-23", "2026-11-27", "2026-11-27", "2026-12-04"}, // Monday
		{"2026-11-24", "2026-11-27", "2026-11-27", "2026-12-04"}, // Tuesday
		{"2026-11-25", "2026-11-27", "2026-11-27", "2026-12-04"}, // Wednesday
		{"2026-11-26", "2026-11-27", "2026-11-27", "2026-12-04"}, // Thursday: tomorrow
		{"2026-11-27", "2026-12-04", "2026-11-27", "2026-12-04"}, // Friday: in a week, not today
		{"2026-11-28", "2026-12-04", "2026-12-04", "2026-12-04"}, // Saturday
		{"2026-11-29", "2026-12-04", "2026-12-04", "2026-12-04"}, // Sunday
	}
	for _, tt := range tests {
		day, err := time.ParseInLocation("2006-01-02", tt.today, loc)
		if err != nil {
			t.Fatal(err)
		}
		c := Context{Now: day.Add(10 * time.Hour), Location: loc}
		wd := day.Weekday().String()
		for text, want := range map[string]string{"next friday": tt.nextFriday, "friday": tt.friday, "下周五": tt.xiaZ5} {
			got := Date(text, c)
			if len(got) != 1 || got[0].Value != want {
				t.Errorf("%s %s: Date(%q) = %v, want %s", wd, tt.today, text, got, want)
			}
		}
	}
}
