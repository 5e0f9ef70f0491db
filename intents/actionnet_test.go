package intents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/switchboard-gw/switchboard/core"
)

// actionBot is a one-flow bot whose action calls url; extra is added to the
// action's YAML.
func actionBot(url, extra string) string {
	return strings.Replace(pizzaBot(url), "      allow_private: true\n", extra, 1)
}

func callPizza(t *testing.T, u *Understander) (ActionReply, error) {
	t.Helper()
	return u.callAction(context.Background(), u.bot.flow("pizza"), core.ConversationKey{},
		core.State{Slots: map[string]string{"size": "L"}}, "en")
}

// TestActionRefusesPrivateAddresses: without allow_private an action cannot
// reach loopback (here the test server), whether by IP or by a name.
func TestActionRefusesPrivateAddresses(t *testing.T) {
	var calls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, `{"text":"internal data"}`)
	}))
	defer ts.Close()
	port := ts.URL[strings.LastIndex(ts.URL, ":")+1:]
	for _, url := range []string{ts.URL + "/hook", "http://localhost:" + port + "/hook"} {
		u := newBot(t, actionBot(url, ""))
		_, err := callPizza(t, u)
		if !errors.Is(err, errPrivateAddress) {
			t.Errorf("%s: error %v, want the private-address refusal", url, err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the internal service was called %d times", n)
	}
	// Allowed per action, and for every action by the owner's option.
	if r, err := callPizza(t, newBot(t, actionBot(ts.URL+"/hook", "      allow_private: true\n"))); err != nil || r.Text != "internal data" {
		t.Fatalf("allow_private action: %+v %v", r, err)
	}
	bot, err := Load(mapFS("bot.yaml", actionBot(ts.URL+"/hook", "")), ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(t.Context(), bot, Options{Seed: 1, ConfidenceThreshold: 0.6, AllowPrivateActions: true})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := callPizza(t, u); err != nil || r.Text != "internal data" {
		t.Fatalf("actions.allow_private: %+v %v", r, err)
	}
}

// TestActionDoesNotFollowRedirects: a 3xx is an error; the redirect target
// (which would get a GET with the signature header) is never called, and
// its answer never reaches the customer.
func TestActionDoesNotFollowRedirects(t *testing.T) {
	var targetCalls atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetCalls.Add(1)
		io.WriteString(w, `{"text":"secret from the metadata service"}`)
	}))
	defer target.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/latest/meta-data", code)
		}))
		u := newBot(t, actionBot(redir.URL+"/hook", "      allow_private: true\n"))
		r, err := callPizza(t, u)
		redir.Close()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("status %d", code)) {
			t.Errorf("%d: reply %+v, error %v; want an error naming the status", code, r, err)
		}
	}
	if n := targetCalls.Load(); n != 0 {
		t.Fatalf("the redirect target was called %d times", n)
	}
	// Through the whole conversation: the customer gets the error response.
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer redir.Close()
	c := &conv{t: t, u: newBot(t, actionBot(redir.URL+"/hook", "      allow_private: true\n")), now: tuesday}
	c.say("I want a large pizza for 2 tomorrow")
	c.expect("yes", "something went wrong")
}

// TestActionReplyCapped: a reply longer than maxActionReply is an error.
func TestActionReplyCapped(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"text":"`+strings.Repeat("a", maxActionReply)+`"}`)
	}))
	defer ts.Close()
	_, err := callPizza(t, newBot(t, actionBot(ts.URL, "      allow_private: true\n")))
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("error %v", err)
	}
}

// staticResolver answers every lookup with addrs (a rebinding DNS server
// would answer a public address first and a private one later: the dialer
// checks exactly the addresses it dials).
type staticResolver []netip.Addr

func (s staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return s, nil
}

func TestPinnedDialerChecksResolvedAddresses(t *testing.T) {
	for _, addrs := range [][]string{
		{"169.254.169.254"}, {"10.0.0.5"}, {"::1"}, {"fd00:ec2::254"}, {"::ffff:127.0.0.1"}, {"100.100.100.200"}, {"0.0.0.0"},
	} {
		var r staticResolver
		for _, a := range addrs {
			r = append(r, netip.MustParseAddr(a))
		}
		d := &pinnedDialer{resolver: r}
		_, err := d.DialContext(context.Background(), "tcp", "metadata.example:80")
		if !errors.Is(err, errPrivateAddress) {
			t.Errorf("%v: %v, want refused", addrs, err)
		}
	}
	for _, a := range []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"} {
		if !publicAddress(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
	}
}

func TestAllowPrivateYAML(t *testing.T) {
	_, err := Load(mapFS("bot.yaml", actionBot("https://x.example/h", "      allow_private: maybe\n")), ".")
	if err == nil || !strings.Contains(err.Error(), "allow_private") {
		t.Fatalf("err = %v", err)
	}
}

func mapFS(name, src string) fstest.MapFS { return fstest.MapFS{name: {Data: []byte(src)}} }
