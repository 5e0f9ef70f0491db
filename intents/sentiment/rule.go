package sentiment

// The handoff rule: when is a customer upset enough that a person should
// take over? One strongly negative message is real anger; a factual
// complaint ("the address is wrong", "收到的杯子坏了") is not, and is left to
// the bot's flows. Mild negativity counts only when it repeats.
const (
	// AngryAtOrBelow is the score at or below which one message alone is
	// real anger. It takes two anger words ("useless … worst"), or one
	// anger word strengthened by an intensifier and emphasis ("absolutely
	// RIDICULOUS!!"); factual complaint words alone never reach it.
	AngryAtOrBelow = -0.8
	// FrustratedBelow is the score below which a message is frustrated: one
	// anger word ("ridiculous", 垃圾) or one frustration word ("annoyed",
	// "disappointed", 失望) is enough, a complaint word seldom is.
	FrustratedBelow = -0.4
	// FrustratedRun is how many frustrated messages in a row are repeated
	// frustration: the current one and the one before it.
	FrustratedRun = 2
)

// Angry reports whether a person should take over because the customer is
// angry: the current message (score) is at or below AngryAtOrBelow, or it
// and the customer's FrustratedRun-1 messages before it are all below
// FrustratedBelow. previous holds the scores of the customer's earlier
// messages in this conversation, oldest first (only the last
// FrustratedRun-1 are read, so a caller may keep just those); "in a row"
// means a message without sentiment words (score 0) in between breaks the
// run. Angry takes plain numbers so that a package that cannot import this
// one can copy it together with the three constants.
func Angry(score float64, previous []float64) bool {
	if score <= AngryAtOrBelow {
		return true
	}
	if score >= FrustratedBelow || len(previous) < FrustratedRun-1 {
		return false
	}
	for _, p := range previous[len(previous)-(FrustratedRun-1):] {
		if p >= FrustratedBelow {
			return false
		}
	}
	return true
}
