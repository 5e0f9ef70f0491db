package intents

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Actions are URLs in the bot owner's YAML, called with customer data, and
// their replies are said to the customer. So that a flow cannot be turned
// against the gateway's own network (issue 14), the action client:
//
//   - never follows a redirect: a 3xx is an error like any non-2xx;
//   - resolves the host itself and dials the address it checked (no second
//     lookup, so DNS rebinding cannot swap in another address);
//   - refuses loopback, private, link-local (cloud metadata at
//     169.254.169.254), CGNAT, unspecified, multicast and reserved addresses
//     unless the owner allows private addresses (actions.allow_private, or
//     allow_private on the action);
//   - ignores HTTP(S)_PROXY, which would move the connection elsewhere.
//
// Replies are read up to maxActionReply bytes and must be the documented
// JSON (see callAction).

// errPrivateAddress is returned when an action's host resolves only to
// addresses that are not allowed.
var errPrivateAddress = errors.New("address is loopback, private, link-local or reserved (set allow_private to allow it)")

// blockedPrefixes are refused beyond what netip.Addr's predicates cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: checked on the embedded IPv4 below
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2002::/16"),      // 6to4: may embed any IPv4
	netip.MustParsePrefix("2001::/32"),      // Teredo: may embed any IPv4
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
}

// publicAddress reports whether a may be called without allow_private.
func publicAddress(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// resolver looks up a host's addresses; net.DefaultResolver in production.
type resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// pinnedDialer dials only addresses it resolved and checked itself.
type pinnedDialer struct {
	allowPrivate bool
	resolver     resolver
	dialer       *net.Dialer
}

// DialContext resolves addr's host, keeps the allowed addresses and dials
// them in order until one answers.
func (d *pinnedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = d.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	var allowed []netip.Addr
	for _, ip := range ips {
		if d.allowPrivate || publicAddress(ip) {
			allowed = append(allowed, ip.Unmap())
		}
	}
	if len(allowed) == 0 {
		return nil, fmt.Errorf("%s: %w", host, errPrivateAddress)
	}
	var last error
	for _, ip := range allowed {
		c, err := d.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// newActionClient returns the HTTP client of actions: no redirects, no
// proxy, pinned and checked addresses (private ones only with
// allowPrivate). Each call's timeout comes from its context.
func newActionClient(allowPrivate bool, r resolver) *http.Client {
	if r == nil {
		r = net.DefaultResolver
	}
	d := &pinnedDialer{allowPrivate: allowPrivate, resolver: r, dialer: &net.Dialer{Timeout: 10 * time.Second}}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
