package config

import (
	"strings"
	"testing"
	"time"
)

// TestValidateSecurityKeys: the keys of issue 14 are checked.
func TestValidateSecurityKeys(t *testing.T) {
	base, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"short admin token", func(c *Config) { c.Server.AdminToken = "a" }, "server.admin_token: must be at least 32"},
		{"short metrics token", func(c *Config) { c.Server.MetricsToken = "short" }, "server.metrics_token"},
		{"metrics on the main address", func(c *Config) { c.Server.MetricsAddr = c.Server.Addr }, "server.metrics_addr"},
		{"bad trusted proxy", func(c *Config) { c.Server.TrustedProxies = []string{"proxy.local"} }, "server.trusted_proxies"},
		{"no read timeout", func(c *Config) { c.Server.ReadTimeout = 0 }, "server.read_timeout"},
		{"no idle timeout", func(c *Config) { c.Server.IdleTimeout = 0 }, "server.idle_timeout"},
		{"negative message limit", func(c *Config) { c.Limits.Messages = -1 }, "limits.messages"},
		{"limit without period", func(c *Config) { c.Limits.Per = 0 }, "limits.per"},
		{"unused ttl over session ttl", func(c *Config) { c.Web.UnusedSessionTTL = 800 * time.Hour }, "web.unused_session_ttl"},
		{"no streams", func(c *Config) { c.Web.MaxStreams = 0 }, "web.max_streams"},
		{"short stream life", func(c *Config) { c.Web.StreamMaxLife = time.Second }, "web.stream_max_life"},
		{"wechat skew", func(c *Config) {
			c.WeChat = WeChat{Enabled: true, AppID: "wx1", AppSecret: "s", Token: "tok", MaxClockSkew: 48 * time.Hour}
		}, "wechat.max_clock_skew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *base
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	c := *base
	c.Limits.Messages = 0
	c.Limits.Per = 0
	if err := c.Validate(); err != nil {
		t.Fatalf("limits off: %v", err)
	}
	c = *base
	c.Server.MetricsToken = "0123456789abcdef"
	if !strings.Contains(c.String(), "MetricsToken:***") {
		t.Fatalf("metrics token not redacted: %s", c.String())
	}
}
