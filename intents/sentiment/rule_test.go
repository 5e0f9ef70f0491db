package sentiment

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The message of issue 12: a factual complaint with an order number, which
// scored -0.61 ("wrong" after "but") and went to a person instead of the
// address-change flow.
func TestFactualComplaintIsNotAnger(t *testing.T) {
	for _, text := range []string{
		"my order number is AB123456 but the address is wrong",
		"I received the wrong item",
		"the parcel arrived broken and late",
		"地址错了，订单号AB123456",
		"收到的东西坏了，还少了一件",
	} {
		s := Score(text)
		if s >= 0 {
			t.Errorf("Score(%q) = %.2f: a complaint is still negative", text, s)
		}
		if Angry(s, nil) || Angry(s, []float64{s}) {
			t.Errorf("Score(%q) = %.2f: anger (even when repeated), want a complaint for the bot", text, s)
		}
	}
	// Anger words weigh far more than complaint words.
	if c, a := Score("the address is wrong"), Score("this is ridiculous"); !(a < 2*c) {
		t.Errorf("ridiculous %.2f not far below wrong %.2f", a, c)
	}
	if c, a := Score("坏了"), Score("垃圾"); !(a < 2*c) {
		t.Errorf("垃圾 %.2f not far below 坏了 %.2f", a, c)
	}
}

func TestAngry(t *testing.T) {
	tests := []struct {
		score    float64
		previous []float64
		want     bool
	}{
		{0, nil, false},
		{-0.79, nil, false},
		{-0.8, nil, true}, // at the threshold
		{-0.95, []float64{0.5}, true},
		{-0.5, nil, false},                // one frustrated message
		{-0.5, []float64{-0.45}, true},    // two in a row
		{-0.5, []float64{-0.6, 0}, false}, // a calm message in between
		{-0.5, []float64{0, -0.6, -0.41}, true},
		{-0.4, []float64{-0.6}, false}, // not below -0.4
		{-0.6, []float64{-0.4}, false},
		{-0.3, []float64{-0.3, -0.3, -0.3}, false}, // complaints, however many
		{0.2, []float64{-0.9}, false},              // anger earlier is not anger now
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.score, tt.previous), func(t *testing.T) {
			if got := Angry(tt.score, tt.previous); got != tt.want {
				t.Errorf("Angry(%v, %v) = %v, want %v", tt.score, tt.previous, got, tt.want)
			}
		})
	}
}

// The thresholds must stay ordered for the rule to mean what its doc says.
func TestThresholds(t *testing.T) {
	if !(AngryAtOrBelow < FrustratedBelow && FrustratedBelow < 0 && FrustratedRun >= 2) {
		t.Fatalf("thresholds %v %v %v", AngryAtOrBelow, FrustratedBelow, FrustratedRun)
	}
}

// However many complaint words, intensifiers, capitals and exclamation
// marks a message has, complaint words alone never make it frustrated: the
// customer listing problems is routed by the bot, not handed off.
func TestComplaintsNeverAddUpToFrustration(t *testing.T) {
	parts := []string{"wrong", "BROKEN", "late", "missing", "damaged", "very", "really", "so", "but",
		"the", "parcel", "and", "!!!", ",", "错了", "坏了", "没收到", "太", "非常", "但是", "少了", "！"}
	r := rand.New(rand.NewPCG(12, 8))
	for range 2000 {
		var b strings.Builder
		for range 1 + r.IntN(14) {
			b.WriteString(parts[r.IntN(len(parts))])
			b.WriteByte(' ')
		}
		text := b.String()
		if s := Score(text); s < FrustratedBelow || s > 0 {
			t.Fatalf("Score(%q) = %.3f, want in [%.2f, 0]", text, s, FrustratedBelow)
		}
	}
}
