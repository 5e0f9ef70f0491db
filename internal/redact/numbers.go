package redact

// group is a run of ASCII digits in the text, possibly ended by the X check
// character of a Chinese identity number.
type group struct {
	start, end int  // end is exclusive and includes the X
	x          bool // ends with X or x
}

// numbers adds to cands the card numbers, Chinese identity numbers and
// Chinese mobile numbers found in s.
//
// s is cut into chains: groups of digits joined by exactly one space, dash
// or dot ("4111 1111 1111 1111", "138-1234-5678"). A number is a run of
// consecutive groups of a chain that starts and ends at the chain's ends or
// at a space, so that "qty 2 4111 1111 1111 1111" still finds the card, and
// that is not glued to an ASCII letter or digit ("AB123456" is an order
// number). A window holds at most 19 digits, so the work is linear in len(s).
func (r *Redactor) numbers(s string, cands []candidate) []candidate {
	var chain []group
	flush := func() {
		if len(chain) > 0 {
			cands = r.windows(s, chain, cands)
			chain = chain[:0]
		}
	}
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		g := group{start: i, end: j}
		if j < len(s) && (s[j] == 'X' || s[j] == 'x') && (j+1 == len(s) || !isWord(s[j+1])) {
			g.end, g.x = j+1, true
		}
		if n := len(chain); n > 0 {
			p := chain[n-1]
			if p.x || g.start != p.end+1 || !isSep(s[p.end]) {
				flush()
			}
		}
		chain = append(chain, g)
		i = g.end
	}
	flush()
	return cands
}

func isSep(c byte) bool { return c == ' ' || c == '-' || c == '.' }

// windows adds the numbers found in one chain.
func (r *Redactor) windows(s string, chain []group, cands []candidate) []candidate {
	last := len(chain) - 1
	leftOK := func(i int) bool {
		st := chain[i].start
		if i == 0 {
			return st == 0 || !isWord(s[st-1])
		}
		return s[st-1] == ' '
	}
	rightOK := func(j int) bool {
		e := chain[j].end
		if j == last {
			return e == len(s) || !isWord(s[e])
		}
		return s[e] == ' '
	}
	var digits [24]byte
	var lens [24]int
	for i := range chain {
		if !leftOK(i) {
			continue
		}
		n, k := 0, 0
		for j := i; j <= last; j++ {
			g := chain[j]
			if n+g.end-g.start > 19 {
				break
			}
			n += copy(digits[n:], s[g.start:g.end])
			lens[k] = g.end - g.start
			k++
			if !rightOK(j) {
				if g.x {
					break
				}
				continue
			}
			if c, ok := r.classify(digits[:n], lens[:k], g.x); ok {
				c.start, c.end = chain[i].start, g.end
				cands = append(cands, c)
			}
			if g.x {
				break
			}
		}
	}
	return cands
}

// classify says what the number (its characters and the lengths of its
// groups) is, if anything enabled.
func (r *Redactor) classify(d []byte, lens []int, x bool) (candidate, bool) {
	if r.cnid && len(d) == 18 && (len(lens) == 1 || eq(lens, 6, 8, 4)) && validCNID(d) {
		return candidate{prio: 2, mask: MaskID}, true
	}
	if x {
		return candidate{}, false
	}
	if r.card && len(d) >= 13 && len(d) <= 19 && d[0] >= '2' && d[0] <= '6' && cardGroups(lens) && luhn(d) {
		return candidate{prio: 3, mask: "[card ****" + string(d[len(d)-4:]) + "]"}, true
	}
	if r.phone && len(d) == 11 && d[0] == '1' && d[1] >= '3' && (len(lens) == 1 || eq(lens, 3, 4, 4) || eq(lens, 3, 8)) {
		return candidate{prio: 4, mask: MaskPhone}, true
	}
	// The same with the country code and no "+": 86 138 1234 5678.
	if r.phone && len(d) == 13 && d[0] == '8' && d[1] == '6' && d[2] == '1' && d[3] >= '3' &&
		(len(lens) == 1 || eq(lens, 2, 11) || eq(lens, 2, 3, 4, 4)) {
		return candidate{prio: 4, mask: MaskPhone}, true
	}
	return candidate{}, false
}

func eq(lens []int, want ...int) bool {
	if len(lens) != len(want) {
		return false
	}
	for i := range lens {
		if lens[i] != want[i] {
			return false
		}
	}
	return true
}

// cardGroups reports whether the groups are written the way card numbers
// are: all together, 4-4-4-4 (with a shorter or 3-digit last group: 13 to
// 19 digits), or 4-6-5 / 4-6-4 (American Express, Diners Club).
func cardGroups(lens []int) bool {
	if len(lens) == 1 || eq(lens, 4, 6, 5) || eq(lens, 4, 6, 4) {
		return true
	}
	if len(lens) < 4 {
		return false
	}
	for _, l := range lens[:len(lens)-1] {
		if l != 4 {
			return false
		}
	}
	return lens[len(lens)-1] >= 1 && lens[len(lens)-1] <= 4
}
