// Package clientip tells the address of the client behind an HTTP request,
// for per-client limits and logs. X-Forwarded-For is believed only when the
// request comes from a trusted proxy (server.trusted_proxies); otherwise any
// client could pick its own address and escape every per-client limit.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how many X-Forwarded-For entries are read.
const maxForwardedHops = 32

// Resolver finds a request's client address. The zero value trusts no proxy.
// It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that trusts X-Forwarded-For from the given proxies:
// IP addresses or CIDR prefixes ("10.0.0.0/8", "::1"). It returns an error
// naming the first entry that is neither.
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR prefix", s)
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

// Addr returns the client address of req: the peer's IP, or, when the peer
// is a trusted proxy, the rightmost X-Forwarded-For entry that is not a
// trusted proxy (entries to its left were written by the client and can be
// forged). A malformed entry stops the walk at the last trusted hop. The
// result is an IP address without port, or RemoteAddr as is when that is not
// host:port with an IP.
func (r *Resolver) Addr(req *http.Request) string {
	peer, ok := parseHost(req.RemoteAddr)
	if !ok {
		return req.RemoteAddr
	}
	if r == nil || !r.isTrusted(peer) {
		return peer.String()
	}
	hops := forwarded(req.Header.Values("X-Forwarded-For"))
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		client = a.Unmap()
		if !r.isTrusted(client) {
			break
		}
	}
	return client.String()
}

// forwarded splits X-Forwarded-For header values into at most
// maxForwardedHops trimmed entries, the last ones kept.
func forwarded(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	if len(hops) > maxForwardedHops {
		hops = hops[len(hops)-maxForwardedHops:]
	}
	return hops
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func parseHost(remote string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
