package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// durationKeys returns the keys of every time.Duration field of Config, from
// the struct's mapstructure tags.
func durationKeys() []string {
	var keys []string
	durType := reflect.TypeFor[time.Duration]()
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			switch {
			case f.Type == durType:
				keys = append(keys, prefix+tag)
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, prefix+tag+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	sort.Strings(keys)
	return keys
}

// checkDurations refuses a duration given as a bare number: mapstructure
// would read "idle_return: 30" as 30 nanoseconds. 0 is allowed (it means
// off or none wherever a duration may be 0). Each error names the key.
func checkDurations(v *viper.Viper) error {
	var errs []error
	for _, k := range durationKeys() {
		raw := v.Get(k)
		var s string
		switch x := raw.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
			s = fmt.Sprint(x)
		case string:
			s = strings.TrimSpace(x)
		default:
			continue // time.Duration (a default) or something mapstructure will refuse itself
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			if n == 0 {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s: missing unit, e.g. %sm or %ss", k, s, s, s))
			continue
		}
		if _, err := time.ParseDuration(s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration; write it like 30s, 15m or 2h", k, s))
		}
	}
	return errors.Join(errs...)
}

// checkListenAddr checks a listen address as net.Listen("tcp", addr) will
// read it: host:port (host may be empty), the port a number up to 65535 or
// a service name. "9000" (no colon) is the classic mistake.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, nerr := strconv.Atoi(addr); nerr == nil {
			return fmt.Errorf("%q is a port without a host part; write \":%s\" (all interfaces) or \"127.0.0.1:%s\"", addr, addr, addr)
		}
		return fmt.Errorf("%q: want host:port such as \":8080\" or \"127.0.0.1:8080\"", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: %q is not a host name or IP address", addr, host)
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return fmt.Errorf("%q: port %d is out of range (0-65535)", addr, n)
		}
		return nil
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q: port %q is neither a number nor a known service", addr, port)
	}
	return nil
}

// EnvPrefix starts every environment variable Switchboard reads.
const EnvPrefix = "SWITCHBOARD_"

// otherEnv are SWITCHBOARD_* variables that are not configuration keys but
// are read elsewhere (the Docker image's entry point, crash testing).
var otherEnv = map[string]bool{
	"SWITCHBOARD_BOT_SAMPLE":  true, // Docker: allow the sample shop bot
	"SWITCHBOARD_HEALTH_URL":  true, // Docker: the health check's URL
	"SWITCHBOARD_FAILPOINTS":  true, // crash testing (internal/failpoint)
	"SWITCHBOARD_CHAOS_KILLS": true, // tests: internal/chaos
	"SWITCHBOARD_CHAOS_BIN":   true,
	"SWITCHBOARD_EVAL_DATA":   true, // tests: eval against a data set
	"SWITCHBOARD_TEST_BOT":    true,
	// tests: fail instead of skipping without a browser
	"SWITCHBOARD_REQUIRE_BROWSER": true,
}

// UnknownEnv returns one warning for each SWITCHBOARD_* variable in environ
// ("NAME=value" entries, as os.Environ gives) that names no configuration
// key, with the closest key's variable when there is a likely one:
// "SWITCHBOARD_SLACK_SINGING_SECRET is not a configuration key (did you
// mean SWITCHBOARD_SLACK_SIGNING_SECRET?); it is ignored". Values are never
// included. The warnings are sorted.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	var names []string
	for _, k := range Keys() {
		n := EnvName(k)
		known[n] = true
		names = append(names, n)
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || known[name] || otherEnv[name] {
			continue
		}
		w := name + " is not a configuration key"
		if c := closest(name, names); c != "" {
			w += " (did you mean " + c + "?)"
		}
		out = append(out, w+"; it is ignored")
	}
	sort.Strings(out)
	return out
}

// closest returns the candidate nearest to s by edit distance, when it is
// close enough to be a typo (at most a third of s's length, at least 2
// edits allowed), else "".
func closest(s string, candidates []string) string {
	best, bestD := "", max(2, len(s)/3)+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes; keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
