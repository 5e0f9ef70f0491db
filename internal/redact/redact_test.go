package redact

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func all(t testing.TB) *Redactor {
	t.Helper()
	r, err := New(Config{Kinds: Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// kindCase is a text that is, or is not, one item of a kind; valid items
// are checked both alone and inside a sentence.
type kindCase struct {
	in   string
	want string // the mask, for valid items
}

func TestKinds(t *testing.T) {
	tests := []struct {
		kind    Kind
		valid   []kindCase
		invalid []string
	}{
		{
			kind: Email,
			valid: []kindCase{
				{"john.doe@example.com", MaskEmail},
				{"13812345678@qq.com", MaskEmail},
				{"zhang_san@163.com", MaskEmail},
				{"a+tag@sub.example.co.uk", MaskEmail},
				{"first-last@mail-server.de", MaskEmail},
				{"x@y.io", MaskEmail},
				{"user%relay@example.org", MaskEmail},
				{"UPPER.CASE@EXAMPLE.COM", MaskEmail},
				{"li.wei@xn--fiqs8s.cn", MaskEmail},
			},
			invalid: []string{
				"john at example dot com",
				"@example.com",
				"john@",
				"john@localhost",
				"john@example",
				"a@b.c",
				"user@.com",
				"john@-example.com",
				"email me @ noon",
			},
		},
		{
			kind: Phone,
			valid: []kindCase{
				{"+49 30 1234567", MaskPhone},
				{"+1 (415) 555-0100", MaskPhone},
				{"+86 138 1234 5678", MaskPhone},
				{"+8613812345678", MaskPhone},
				{"13812345678", MaskPhone},
				{"138-1234-5678", MaskPhone},
				{"186.1234.5678", MaskPhone},
				{"159 12345678", MaskPhone},
				{"+44 (0)20 7946 0958", MaskPhone},
				{"+33 1 23 45 67 89", MaskPhone},
				{"+81 3-1234-5678", MaskPhone},
				{"+852 2123 4567", MaskPhone},
				{"+7 495 123-45-67", MaskPhone},
				{"+91 98765 43210", MaskPhone},
				{"86 138 1234 5678", MaskPhone},
				{"8613812345678", MaskPhone},
				{"＋８６ １３８ １２３４ ５６７８", MaskPhone}, // full-width, as Chinese input methods type it
			},
			invalid: []string{
				"AB123456",
				"12345678901",            // no Chinese mobile starts with 12
				"1381234567",             // 10 digits
				"138123456789",           // 12 digits
				"+1 415 555 010",         // 10 digits for +1
				"+86 128 1234 5678",      // not a mobile prefix
				"+49 30",                 // too short
				"x13812345678",           // part of a token
				"13812345678a",           // part of a token
				"1381-234-5678",          // not grouped like a mobile
				"Order 2024-12-07 10:30", // a date
				"+1 (415 555-0100",       // unbalanced parenthesis
			},
		},
		{
			kind: Card,
			valid: []kindCase{
				{"4111 1111 1111 1111", "[card ****1111]"},
				{"5555 5555 5555 4444", "[card ****4444]"},
				{"3782 822463 10005", "[card ****0005]"},
				{"6011-1111-1111-1117", "[card ****1117]"},
				{"3530 1113 3330 0000", "[card ****0000]"},
				{"6200000000000005", "[card ****0005]"},
				{"4012888888881881", "[card ****1881]"},
				{"2223 0031 2200 3222", "[card ****3222]"},
				{"5105-1051-0510-5100", "[card ****5100]"},
				{"3056 930902 5904", "[card ****5904]"},
				{"4222222222222", "[card ****2222]"},
				{"4111.1111.1111.1111", "[card ****1111]"},
				{"6221 2345 6789 0123 450", "[card ****3450]"},
			},
			invalid: []string{
				"4111 1111 1111 1112", // fails Luhn
				"1234 5678 9012 3456", // fails Luhn
				"4111111111111112",    // fails Luhn
				"0000 0000 0000 0000", // passes Luhn, no card starts with 0
				"AB4111111111111111",  // part of an order number
				"4111111111111111XY",
				"41111111111111111111", // 20 digits
				"4111-11-1111-1111",    // not grouped like a card
				"411111111111",         // 12 digits
				"1Z999AA10123456784",   // a UPS tracking number
			},
		},
		{
			kind: CNID,
			valid: []kindCase{
				{"11010519491231002X", MaskID},
				{"11010519491231002x", MaskID},
				{"440524188001010014", MaskID},
				{"110101199003071233", MaskID},
				{"31011519850817241X", MaskID},
				{"440304200002295675", MaskID}, // 29 February 2000
				{"510107197806158889", MaskID},
				{"330106 19991231 0011", MaskID},
				{"650102-19721109-3456", MaskID},
			},
			invalid: []string{
				"110105194912310021",     // wrong check character
				"11010519491231002Y",     // not a check character
				"110105194913310021",     // month 13, checksum right
				"110105194902290029",     // 29 February 1949, checksum right
				"910105194912310029",     // no region 9, checksum right
				"11010519491231002",      // 17 digits
				"1101051949123100211",    // 19 digits
				"ID11010519491231002X",   // part of a token
				"1101 0519 4912 3100 2X", // not grouped like an ID
			},
		},
		{
			kind: IBAN,
			valid: []kindCase{
				{"DE89 3704 0044 0532 0130 00", MaskIBAN},
				{"GB82 WEST 1234 5698 7654 32", MaskIBAN},
				{"FR14 2004 1010 0505 0001 3M02 606", MaskIBAN},
				{"NL91ABNA0417164300", MaskIBAN},
				{"ch93 0076 2011 6238 5295 7", MaskIBAN},
				{"BE68-5390-0754-7034", MaskIBAN},
				{"ES91 2100 0418 4502 0005 1332", MaskIBAN},
				{"IT60 X054 2811 1010 0000 0123 456", MaskIBAN},
				{"AT61 1904 3002 3457 3201", MaskIBAN},
				{"NO93 8601 1117 947", MaskIBAN},
				{"PL61 1090 1014 0000 0712 1981 2874", MaskIBAN},
			},
			invalid: []string{
				"DE89 3704 0044 0532 0130 01", // checksum
				"GB82 WEST 1234 5698 7654 33", // checksum
				"DE89 3704 0044 0532 0130",    // too short for DE
				"XX89 3704 0044 0532 0130 00", // no such country
				"NL91ABNA041716430",           // too short
				"NL91ABNA04171643001",         // glued to a digit
				"XDE89370400440532013000",     // part of a token
				"order AB12 3456 7890 1234 56",
				"AB123456",
			},
		},
	}
	for _, tt := range tests {
		only, err := New(Config{Kinds: []Kind{tt.kind}})
		if err != nil {
			t.Fatal(err)
		}
		every := all(t)
		if len(tt.valid) < 8 || len(tt.invalid) < 8 {
			t.Errorf("%s: want at least 8 valid and 8 invalid examples", tt.kind)
		}
		for _, c := range tt.valid {
			t.Run(string(tt.kind)+"/valid/"+c.in, func(t *testing.T) {
				if got := only.Redact(c.in); got != c.want {
					t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
				}
				for _, frame := range []string{"my %s thanks", "(%s)", "号码：%s，谢谢", "%s."} {
					in := strings.Replace(frame, "%s", c.in, 1)
					want := strings.Replace(frame, "%s", c.want, 1)
					if got := every.Redact(in); got != want {
						t.Errorf("Redact(%q) = %q, want %q", in, got, want)
					}
				}
			})
		}
		for _, in := range tt.invalid {
			t.Run(string(tt.kind)+"/invalid/"+in, func(t *testing.T) {
				if got := only.Redact(in); got != in {
					t.Errorf("Redact(%q) = %q, want it unchanged", in, got)
				}
			})
		}
	}
}

func TestRedactMessages(t *testing.T) {
	r := all(t)
	tests := []struct{ in, want string }{
		{"", ""},
		{"Where is my order AB123456?", "Where is my order AB123456?"},
		{"Order #20241207-0042 placed 2024-12-07, total 1,234.56 EUR", "Order #20241207-0042 placed 2024-12-07, total 1,234.56 EUR"},
		{"my card 4111 1111 1111 1111 exp 12/27, mail me at jane@shop.example",
			"my card [card ****1111] exp 12/27, mail me at [email]"},
		{"qty 2 4111 1111 1111 1111", "qty 2 [card ****1111]"},
		{"4111 1111 1111 1111 123", "[card ****1111] 123"},
		{"call +1 415 555 0100 4111 1111 1111 1111", "call [phone] [card ****1111]"},
		{"手机13812345678，身份证11010519491231002X", "手机[phone]，身份证[id]"},
		{"电话：+86 138 1234 5678 邮箱 13812345678@qq.com", "电话：[phone] 邮箱 [email]"},
		{"IBAN DE89 3704 0044 0532 0130 00 is mine", "IBAN [iban] is mine"},
		{"already [email] and [card ****1111] here", "already [email] and [card ****1111] here"},
		{"a@b.co4111111111111111", "[email][card ****1111]"},
		{"bad \xff utf8 13812345678", "bad \uFFFD utf8 [phone]"},
		{"我的手机：１３８１２３４５６７８，邮箱：ｌｉ＠ｑｑ.ｃｏｍ　卡号：４１１１　１１１１　１１１１　１１１１（谢谢）",
			"我的手机：[phone]，邮箱：[email]　卡号：[card ****1111]（谢谢）"},
		{"订单号：ＡＢ４１１１１１１１１１１１１１１１", "订单号：ＡＢ４１１１１１１１１１１１１１１１"},
		{"价格：１００元，订单号：ＡＢ１２３４５６", "价格：１００元，订单号：ＡＢ１２３４５６"},
		{"邮箱：li＠qq.com，身份证：１１０１０５１９４９１２３１００２Ｘ", "邮箱：[email]，身份证：[id]"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestPatterns(t *testing.T) {
	r, err := New(Config{Kinds: []Kind{Email}, Patterns: []string{`(?i)\bvip-[0-9]{4}\b`, `secret\w*`, `redacted`}})
	if err != nil {
		t.Fatal(err)
	}
	in := "I am VIP-1234, password secret123, mail a@b.example, order AB123456"
	want := "I am [redacted], password [redacted], mail [email], order AB123456"
	if got := r.Redact(in); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := r.Redact(want); got != want {
		t.Errorf("not idempotent: %q", got)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Config{Kinds: []Kind{"passport"}}); err == nil || !strings.Contains(err.Error(), "passport") {
		t.Errorf("unknown kind: err = %v", err)
	}
	if _, err := New(Config{Patterns: []string{`ok`, `(unclosed`}}); err == nil || !strings.Contains(err.Error(), "pattern 2") {
		t.Errorf("bad pattern: err = %v", err)
	}
	if _, err := New(Config{Patterns: []string{""}}); err == nil {
		t.Error("empty pattern accepted")
	}
	if k, err := ParseKind(" Card "); err != nil || k != Card {
		t.Errorf("ParseKind = %q, %v", k, err)
	}
}

func TestNilAndEmpty(t *testing.T) {
	var r *Redactor
	if got := r.Redact("a@b.example 13812345678"); got != "a@b.example 13812345678" {
		t.Errorf("nil redactor changed text: %q", got)
	}
	e, _ := New(Config{})
	if got := e.Redact("a@b.example"); got != "a@b.example" {
		t.Errorf("empty redactor changed text: %q", got)
	}
	cardsOnly, _ := New(Config{Kinds: []Kind{Card, CNID, IBAN}})
	in := "order AB123456, jane@shop.example, 13812345678, card 4111 1111 1111 1111"
	want := "order AB123456, jane@shop.example, 13812345678, card [card ****1111]"
	if got := cardsOnly.Redact(in); got != want {
		t.Errorf("agents' redactor: got %q, want %q", got, want)
	}
}

func TestConcurrent(t *testing.T) {
	r := all(t)
	const in = "mail jane@shop.example or call +49 30 1234567, card 4111 1111 1111 1111"
	want := r.Redact(in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := r.Redact(in); got != want {
					t.Errorf("concurrent Redact = %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestLongInputs feeds long inputs built to provoke many candidates (they
// run in milliseconds: the scan is linear, see the package doc) and checks
// the output is valid and stable.
func TestLongInputs(t *testing.T) {
	r := all(t)
	for _, unit := range []string{"1 ", "4111 ", "a@", "+1 (", "DE89 ", "1-", "138 1234 5678 ", "a@b.co1", "1X "} {
		in := strings.Repeat(unit, 20000)
		out := r.Redact(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 for %q…", unit)
		}
		if again := r.Redact(out); again != out {
			t.Fatalf("not idempotent for %q…", unit)
		}
	}
}

// message is a typical 200-byte customer message.
const message = "Hi, I paid for order AB123456 yesterday with my card 4111 1111 1111 1111 but got no e-mail at jane.doe@example.com. Please call me on +49 30 1234567 or 138 1234 5678. Thanks!"

func BenchmarkRedact(b *testing.B) {
	r := all(b)
	b.SetBytes(int64(len(message)))
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(message)
	}
}

func BenchmarkRedactClean(b *testing.B) {
	r := all(b)
	const clean = "Hi, I ordered a blue jacket last week and it still has not arrived. Can you tell me when it will be delivered, and whether I can change the address? Thank you so much for your help!!"
	b.SetBytes(int64(len(clean)))
	b.ReportAllocs()
	for b.Loop() {
		r.Redact(clean)
	}
}
