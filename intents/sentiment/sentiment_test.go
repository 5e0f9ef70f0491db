package sentiment

import (
	"math"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	tests := []struct {
		text     string
		min, max float64
	}{
		// From the issue.
		{"this is terrible, I'm furious", -1, -0.5},
		{"not bad at all", 0, 1},
		{"我非常生气", -1, -0.5},
		// Plain polarity.
		{"thank you, that was really helpful", 0.5, 1},
		{"great service!", 0.5, 1},
		{"where is my order", 0, 0},
		{"我的订单在哪", 0, 0},
		{"", 0, 0},
		{"非常满意，谢谢", 0.5, 1},
		{"太差了，垃圾", -1, -0.6},
		{"你们的服务很不错", 0.4, 1},
		{"不好意思，我想问一下", 0, 0},
		{"好的", 0, 0},
		// Negation.
		{"not good", -1, -0.1},
		{"I'm not happy with this", -1, -0.2},
		{"this isn't great", -1, -0.1},
		{"不满意", -1, -0.4},
		{"不好", -1, -0.1},
		{"没问题", 0.1, 1},
		{"no problem", 0, 1},
		// Intensity: "very bad" is worse than "bad", "a bit slow" milder than "slow".
		{"the delivery was slow", -0.5, -0.2},
		{"the delivery was a bit slow", -0.3, -0.05},
		// But: the part after it decides.
		{"the product is good but the delivery was terrible", -1, -0.3},
		{"东西不错，但是快递太慢了", -1, -0.05},
		// Emphasis.
		{"THIS IS TERRIBLE!!!", -1, -0.8},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := Score(tt.text)
			if got < tt.min || got > tt.max {
				t.Errorf("Score(%q) = %.3f, want in [%.2f, %.2f]", tt.text, got, tt.min, tt.max)
			}
		})
	}
	if a, b := Score("bad"), Score("very bad"); !(b < a) {
		t.Errorf("very bad %.3f not below bad %.3f", b, a)
	}
	if a, b := Score("this is terrible"), Score("THIS IS TERRIBLE!!!"); !(b < a) {
		t.Errorf("capitals and exclamation marks %.3f not below %.3f", b, a)
	}
	if a, b := Score("生气"), Score("非常生气"); !(b < a) {
		t.Errorf("非常生气 %.3f not below 生气 %.3f", b, a)
	}
}

func TestScoreBounds(t *testing.T) {
	long := strings.Repeat("terrible awful horrible!!! ", 500)
	for _, s := range []string{long, strings.Repeat("great ", 1000), strings.Repeat("不", 100) + "好"} {
		if v := Score(s); v < -1 || v > 1 || math.IsNaN(v) {
			t.Errorf("Score out of range: %v", v)
		}
	}
}

func FuzzScore(f *testing.F) {
	for _, s := range []string{"this is terrible, I'm furious", "not bad at all", "我非常生气", "不好意思!!", "\xff不", "my order number is AB123456 but the address is wrong!!!", "是不是丢了，坏了错了"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Score(s)
		if v < -1 || v > 1 || math.IsNaN(v) {
			t.Fatalf("Score(%q) = %v", s, v)
		}
	})
}
