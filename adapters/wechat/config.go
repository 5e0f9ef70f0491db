package wechat

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	// DefaultAPIURL is WeChat's API host.
	DefaultAPIURL = "https://api.weixin.qq.com"
	// DefaultReplyBudget is how long, from a push's arrival, the handler
	// waits for the answer to reply passively. WeChat gives up at 5 s.
	DefaultReplyBudget = 4 * time.Second
	// DefaultWelcomeText is the text a subscribe (关注) event is handled as,
	// so that the bot answers it with its greeting.
	DefaultWelcomeText = "你好"
	// DefaultHandleTimeout bounds Engine.Handle for one push.
	DefaultHandleTimeout = 30 * time.Second
)

// MaxReplyBudget is the largest ReplyBudget Validate accepts: the response
// must leave WeChat's 5-second window with room for the network.
const MaxReplyBudget = 4800 * time.Millisecond

// Config configures the WeChat Official Account adapter. AppID, AppSecret and
// Token are required; the zero value of every other field takes its default.
type Config struct {
	// AppID is the account's AppID (开发者ID). It is the receiveid checked
	// inside every decrypted message.
	AppID string
	// AppSecret (开发者密码) is used to fetch access tokens.
	AppSecret string
	// Token is the 令牌 of 服务器配置: 3 to 32 letters or digits.
	Token string
	// EncodingAESKey (消息加解密密钥) is 43 characters. Empty means 明文模式
	// only; when set, pushes must be encrypted (兼容模式 or 安全模式) and a
	// plaintext push is refused with 401.
	EncodingAESKey string
	// APIURL is the API base URL; empty means DefaultAPIURL. Tests and bench
	// point it at a fake.
	APIURL string
	// ReplyBudget is how long after a push arrived the handler may wait for
	// its answer to reply passively, at most MaxReplyBudget. Default 4 s.
	ReplyBudget time.Duration
	// WelcomeText is what a subscribe event is handled as. Default "你好".
	WelcomeText string
	// HandleTimeout bounds the engine's work for one push, which goes on
	// after WeChat hung up. Default 30 s.
	HandleTimeout time.Duration
	// MaxClockSkew is how far the timestamp of a push or URL check may be
	// from the gateway's clock, either way; older or newer requests are
	// refused with 401, and each signed (timestamp, nonce) is accepted for
	// one request body only within this window. At most MaxClockSkewLimit.
	// Default DefaultMaxClockSkew (5 minutes).
	MaxClockSkew time.Duration
}

// Validate reports every missing or invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.AppID == "" {
		errs = append(errs, errors.New("wechat: app_id is required"))
	}
	if c.AppSecret == "" {
		errs = append(errs, errors.New("wechat: app_secret is required (to send customer-service messages)"))
	}
	if err := validToken(c.Token); err != nil {
		errs = append(errs, err)
	}
	if c.EncodingAESKey != "" {
		if _, err := decodeAESKey(c.EncodingAESKey); err != nil {
			errs = append(errs, err)
		}
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("wechat: api_url must be an http(s) URL, got %q", c.APIURL))
		}
	}
	if c.ReplyBudget < 0 || c.ReplyBudget > MaxReplyBudget {
		errs = append(errs, fmt.Errorf("wechat: reply_budget must be between 0 (default %s) and %s, got %s",
			DefaultReplyBudget, MaxReplyBudget, c.ReplyBudget))
	}
	if c.HandleTimeout < 0 {
		errs = append(errs, fmt.Errorf("wechat: handle_timeout must not be negative, got %s", c.HandleTimeout))
	}
	if c.MaxClockSkew < 0 || c.MaxClockSkew > MaxClockSkewLimit {
		errs = append(errs, fmt.Errorf("wechat: max_clock_skew must be between 0 (default %s) and %s, got %s",
			DefaultMaxClockSkew, MaxClockSkewLimit, c.MaxClockSkew))
	}
	return errors.Join(errs...)
}

// validToken checks WeChat's rule for 令牌: 3-32 English letters or digits.
func validToken(t string) error {
	if len(t) < 3 || len(t) > 32 {
		return fmt.Errorf("wechat: token must be 3 to 32 letters or digits, got %d characters", len(t))
	}
	for _, r := range t {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return errors.New("wechat: token may contain only English letters and digits")
		}
	}
	return nil
}

// decodeAESKey decodes a 43-character EncodingAESKey into the 32-byte AES key.
// The error never contains the key.
func decodeAESKey(s string) ([]byte, error) {
	if len(s) != 43 {
		return nil, fmt.Errorf("wechat: encoding_aes_key must be 43 characters, got %d", len(s))
	}
	key, err := base64.StdEncoding.DecodeString(s + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wechat: encoding_aes_key is not valid base64 (letters, digits, + and /)")
	}
	return key, nil
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	for len(c.APIURL) > 0 && c.APIURL[len(c.APIURL)-1] == '/' {
		c.APIURL = c.APIURL[:len(c.APIURL)-1]
	}
	if c.ReplyBudget <= 0 {
		c.ReplyBudget = DefaultReplyBudget
	}
	if c.WelcomeText == "" {
		c.WelcomeText = DefaultWelcomeText
	}
	if c.HandleTimeout <= 0 {
		c.HandleTimeout = DefaultHandleTimeout
	}
	if c.MaxClockSkew <= 0 {
		c.MaxClockSkew = DefaultMaxClockSkew
	}
	return c
}
