package eval

import "math/rand/v2"

// splitItems holds out round(frac·n) of items, chosen by a shuffle seeded
// with seed and salt, and returns the rest and the held-out items, each in
// their original order. Items that share a non-empty Group (turns of one
// dialogue) are held out together, so the held-out fraction counts groups.
func splitItems(items []Item, frac float64, seed int64, salt uint64) (rest, held []Item) {
	// Units are groups; an item without a group is a unit of its own.
	unit := make([]int, len(items))
	byGroup := make(map[string]int)
	n := 0
	for i, it := range items {
		if it.Group == "" {
			unit[i] = n
			n++
			continue
		}
		u, ok := byGroup[it.Group]
		if !ok {
			u = n
			byGroup[it.Group] = u
			n++
		}
		unit[i] = u
	}
	rng := rand.New(rand.NewPCG(uint64(seed), salt))
	perm := rng.Perm(n)
	nHeld := int(frac*float64(n) + 0.5)
	isHeld := make([]bool, n)
	for _, u := range perm[:nHeld] {
		isHeld[u] = true
	}
	for i, it := range items {
		if isHeld[unit[i]] {
			held = append(held, it)
		} else {
			rest = append(rest, it)
		}
	}
	return rest, held
}
