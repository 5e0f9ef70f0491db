package wechat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mode is the message encryption mode (消息加解密方式) of the account.
type Mode int

// The three modes of 消息加解密方式.
const (
	// Plain (明文模式): plaintext XML, only the URL signature.
	Plain Mode = iota
	// Compat (兼容模式): the plaintext fields and an Encrypt element, with
	// encrypt_type=aes and msg_signature in the query.
	Compat
	// Safe (安全模式): only ToUserName and Encrypt, with encrypt_type=aes and
	// msg_signature in the query.
	Safe
)

func (m Mode) String() string {
	switch m {
	case Plain:
		return "plain"
	case Compat:
		return "compat"
	case Safe:
		return "safe"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Pusher is WeChat's side of the webhook for one official account: it signs
// and encrypts pushes the way WeChat does and checks passive replies.
type Pusher struct {
	Token          string
	AppID          string
	EncodingAESKey string // needed for Compat and Safe
	OriginalID     string // the account's gh_ id, ToUserName of pushes; default "gh_fake"
	Mode           Mode
	// Now is WeChat's clock, which dates each push's timestamp (and a
	// message's default CreateTime); nil means time.Now.
	Now func() time.Time
}

func (p Pusher) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Inbound is one message or event as WeChat pushes it. Zero fields are left
// out of the XML.
type Inbound struct {
	OpenID      string
	CreateTime  int64 // default: now
	MsgType     string
	Content     string
	MsgID       int64
	Recognition string
	PicURL      string
	MediaID     string
	Format      string
	LocationX   float64
	LocationY   float64
	Scale       float64
	Label       string
	Title       string
	Description string
	URL         string
	Event       string
	EventKey    string
}

// Text returns a text message.
func Text(openID string, msgID int64, content string) Inbound {
	return Inbound{OpenID: openID, MsgType: "text", MsgID: msgID, Content: content}
}

// Event returns an event push such as "subscribe".
func Event(openID, event string, createTime int64) Inbound {
	return Inbound{OpenID: openID, MsgType: "event", Event: event, CreateTime: createTime}
}

func (p Pusher) originalID() string {
	if p.OriginalID == "" {
		return "gh_fake"
	}
	return p.OriginalID
}

// XML renders m as WeChat's plaintext message XML.
func (p Pusher) XML(m Inbound) []byte {
	var b bytes.Buffer
	cdata := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>\n", name, strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>"), name)
		}
	}
	num := func(name string, v string) {
		fmt.Fprintf(&b, "<%s>%s</%s>\n", name, v, name)
	}
	ct := m.CreateTime
	if ct == 0 {
		ct = p.now().Unix()
	}
	b.WriteString("<xml>")
	cdata("ToUserName", p.originalID())
	cdata("FromUserName", m.OpenID)
	num("CreateTime", strconv.FormatInt(ct, 10))
	cdata("MsgType", m.MsgType)
	cdata("Content", m.Content)
	cdata("PicUrl", m.PicURL)
	cdata("MediaId", m.MediaID)
	cdata("Format", m.Format)
	cdata("Recognition", m.Recognition)
	if m.MsgType == "location" {
		num("Location_X", strconv.FormatFloat(m.LocationX, 'f', -1, 64))
		num("Location_Y", strconv.FormatFloat(m.LocationY, 'f', -1, 64))
		num("Scale", strconv.FormatFloat(m.Scale, 'f', -1, 64))
	}
	cdata("Label", m.Label)
	cdata("Title", m.Title)
	cdata("Description", m.Description)
	cdata("Url", m.URL)
	cdata("Event", m.Event)
	cdata("EventKey", m.EventKey)
	if m.MsgID != 0 {
		num("MsgId", strconv.FormatInt(m.MsgID, 10))
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// Push builds the POST WeChat would send to webhookURL for m, signed (and
// encrypted unless Mode is Plain) with a fresh timestamp and nonce.
func (p Pusher) Push(ctx context.Context, webhookURL string, m Inbound) (*http.Request, error) {
	return p.PushRaw(ctx, webhookURL, p.XML(m))
}

// PushRaw is Push for an arbitrary plaintext body.
func (p Pusher) PushRaw(ctx context.Context, webhookURL string, plain []byte) (*http.Request, error) {
	ts := strconv.FormatInt(p.now().Unix(), 10)
	nonce := randomDigits(10)
	q := url.Values{}
	q.Set("signature", Signature(p.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	body := plain
	if p.Mode != Plain {
		key, err := DecodeKey(p.EncodingAESKey)
		if err != nil {
			return nil, err
		}
		random := make([]byte, 16)
		_, _ = rand.Read(random)
		enc, err := Encrypt(key, random, plain, p.AppID)
		if err != nil {
			return nil, err
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", Signature(p.Token, ts, nonce, enc))
		if p.Mode == Safe {
			body = fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", p.originalID(), enc)
		} else {
			body = bytes.Replace(plain, []byte("</xml>"), fmt.Appendf(nil, "<Encrypt><![CDATA[%s]]></Encrypt></xml>", enc), 1)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// Verify builds the GET of 服务器配置's URL check with the given echostr.
func (p Pusher) Verify(ctx context.Context, webhookURL, echostr string) (*http.Request, error) {
	ts := strconv.FormatInt(p.now().Unix(), 10)
	nonce := randomDigits(10)
	q := url.Values{}
	q.Set("signature", Signature(p.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("echostr", echostr)
	return http.NewRequestWithContext(ctx, http.MethodGet, webhookURL+"?"+q.Encode(), nil)
}

// Reply is a passive reply as WeChat reads it.
type Reply struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
}

// ErrNoReply is returned by DecodeReply for the bodies that only stop
// WeChat's retries: "success" and the empty body.
var ErrNoReply = errors.New("fake wechat: acknowledgement without a reply")

// DecodeReply reads the body of a webhook response as WeChat would. In
// Compat and Safe mode the reply must be the encrypted envelope with a valid
// MsgSignature and the AppID as receiveid. It returns ErrNoReply for
// "success" and the empty body, and an error for anything WeChat would show
// the customer as "该公众号暂时无法提供服务".
func (p Pusher) DecodeReply(body []byte) (Reply, error) {
	if len(body) == 0 || string(body) == "success" {
		return Reply{}, ErrNoReply
	}
	plain := body
	if p.Mode != Plain {
		var env struct {
			Encrypt      string `xml:"Encrypt"`
			MsgSignature string `xml:"MsgSignature"`
			TimeStamp    string `xml:"TimeStamp"`
			Nonce        string `xml:"Nonce"`
		}
		if err := xml.Unmarshal(body, &env); err != nil {
			return Reply{}, fmt.Errorf("fake wechat: reply envelope: %w", err)
		}
		if env.Encrypt == "" {
			return Reply{}, errors.New("fake wechat: reply is not encrypted")
		}
		if Signature(p.Token, env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
			return Reply{}, errors.New("fake wechat: reply MsgSignature does not match")
		}
		key, err := DecodeKey(p.EncodingAESKey)
		if err != nil {
			return Reply{}, err
		}
		msg, receiveID, err := Decrypt(key, env.Encrypt)
		if err != nil {
			return Reply{}, err
		}
		if receiveID != p.AppID {
			return Reply{}, fmt.Errorf("fake wechat: reply encrypted for %q, not %q", receiveID, p.AppID)
		}
		plain = msg
	}
	var r Reply
	if err := xml.Unmarshal(plain, &r); err != nil {
		return Reply{}, fmt.Errorf("fake wechat: reply XML: %w", err)
	}
	if r.MsgType != "text" || r.ToUserName == "" || r.FromUserName != p.originalID() {
		return Reply{}, fmt.Errorf("fake wechat: reply has MsgType %q, ToUserName %q, FromUserName %q", r.MsgType, r.ToUserName, r.FromUserName)
	}
	return r, nil
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
