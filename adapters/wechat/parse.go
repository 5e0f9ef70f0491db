package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/switchboard-gw/switchboard/core"
)

// MaxBodyBytes is the largest push body the webhook reads. WeChat's pushes
// are well under 4 KiB.
const MaxBodyBytes = 64 << 10

// Limits on the shape of pushed XML. WeChat's messages nest at most four
// elements deep under <xml> and have a few dozen elements.
const (
	maxXMLDepth  = 8
	maxXMLTokens = 4096
	maxOpenIDLen = 128
)

// errUnauthorized and errBadRequest classify parse errors: the webhook
// answers 401 and 400. Their wrapping errors' messages are safe to log: they
// contain no secret and no message content.
var (
	errUnauthorized = errors.New("unauthorized")
	errBadRequest   = errors.New("bad request")
)

func unauthorized(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUnauthorized, fmt.Sprintf(format, args...))
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// push is one verified, decrypted message push.
type push struct {
	msg       message.MixMessage
	encrypted bool   // it came with encrypt_type=aes: reply encrypted
	timestamp int64  // of the request, reused in an encrypted reply
	nonce     string // of the request, reused in an encrypted reply
}

// parsePush verifies and decodes the POST of one push: query is the URL
// query, body the request body. It checks signature; with encrypt_type=aes
// (兼容模式 and 安全模式) it checks msg_signature over the Encrypt element,
// decrypts it and checks the receiveid, and uses only the decrypted message
// (the plaintext fields of 兼容模式 are not covered by any signature). When
// c has a key, a push without encrypt_type=aes is refused.
//
// Errors wrap errUnauthorized (bad signature, bad msg_signature, wrong
// AppID inside, plaintext push while a key is set) or errBadRequest
// (anything malformed). parsePush does no I/O and never panics.
func parsePush(c msgCrypto, query url.Values, body []byte) (push, error) {
	if len(body) > MaxBodyBytes {
		return push{}, badRequest("body is larger than %d bytes", MaxBodyBytes)
	}
	ts, nonce := query.Get("timestamp"), query.Get("nonce")
	if !c.verify(query.Get("signature"), ts, nonce) {
		return push{}, unauthorized("signature does not match")
	}
	p := push{nonce: nonce}
	inner := body
	if query.Get("encrypt_type") == "aes" {
		if c.key == nil {
			return push{}, badRequest("encrypted push, but no encoding_aes_key is configured")
		}
		var env message.EncryptedXMLMsg
		if err := decodeXML(body, &env); err != nil {
			return push{}, err
		}
		if env.EncryptedMsg == "" {
			return push{}, badRequest("encrypted push without an Encrypt element")
		}
		if !c.verify(query.Get("msg_signature"), ts, nonce, env.EncryptedMsg) {
			return push{}, unauthorized("msg_signature does not match")
		}
		_, msg, err := c.decrypt(env.EncryptedMsg)
		switch {
		case errors.Is(err, errWrongReceiver):
			return push{}, unauthorized("%v", err)
		case err != nil:
			return push{}, badRequest("%v", err)
		}
		inner = msg
		p.encrypted = true
		if p.timestamp, err = strconv.ParseInt(ts, 10, 64); err != nil {
			return push{}, badRequest("timestamp is not a number")
		}
	} else if c.key != nil {
		return push{}, unauthorized("plaintext push refused: encoding_aes_key is set, so 消息加解密方式 must be 兼容模式 or 安全模式")
	}
	m, err := parseMessageXML(inner)
	if err != nil {
		return push{}, err
	}
	p.msg = m
	return p, nil
}

// parseMessageXML decodes WeChat's plaintext message XML into the SDK's
// MixMessage and checks the fields every push has. Errors wrap
// errBadRequest. It does no I/O and never panics.
func parseMessageXML(b []byte) (message.MixMessage, error) {
	var m message.MixMessage
	if err := decodeXML(b, &m); err != nil {
		return message.MixMessage{}, err
	}
	from := string(m.FromUserName)
	switch {
	case from == "":
		return message.MixMessage{}, badRequest("message without FromUserName")
	case len(from) > maxOpenIDLen || strings.ContainsFunc(from, isSpaceOrControl):
		return message.MixMessage{}, badRequest("FromUserName is not an OpenID")
	case m.MsgType == "":
		return message.MixMessage{}, badRequest("message without MsgType")
	}
	return m, nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// decodeXML checks the shape of b (no DTD or other directive, so no entity
// expansion; at most maxXMLDepth deep and maxXMLTokens tokens; root element
// <xml>) and then unmarshals it into v. Errors wrap errBadRequest.
func decodeXML(b []byte, v any) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	depth, tokens, root := 0, 0, ""
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return badRequest("body is not well-formed XML")
		}
		if tokens++; tokens > maxXMLTokens {
			return badRequest("XML has more than %d tokens", maxXMLTokens)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if root != "" {
					return badRequest("XML has more than one root element")
				}
				root = t.Name.Local
			}
			if depth++; depth > maxXMLDepth {
				return badRequest("XML nests deeper than %d elements", maxXMLDepth)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return badRequest("XML with a DTD or other <!...> directive is refused")
		case xml.ProcInst:
			if t.Target != "xml" {
				return badRequest("XML processing instruction <?%.16s?> is refused", t.Target)
			}
		}
	}
	if root != "xml" {
		return badRequest("root element must be <xml>")
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return badRequest("XML does not match WeChat's message format")
	}
	return nil
}

// normalize turns a push into the core.Message the engine handles, and
// reports false for pushes that are only acknowledged ("success", no
// reply): see normalizeEvent for events; device messages (device_text,
// device_event, from WeChat hardware) are acknowledged too. Text becomes
// Text; a voice note becomes its Recognition (语音识别 result) when WeChat
// sent one; images, videos, locations, links, voice without recognition and
// other types get a Note describing them so they reach the transcript and
// the bot. Message IDs and dedupe keys are "wechat:msg:<MsgId>" for
// messages and "wechat:event:<openid>:<CreateTime>:<Event>" for events,
// because WeChat retries a push up to three times. isCommand reports
// whether a menu key names a bot command (an intent or FAQ entry); nil
// means none does.
func normalize(m message.MixMessage, welcome string, isCommand func(string) bool) (core.Message, bool) {
	openID := string(m.FromUserName)
	out := core.Message{Key: core.ConversationKey{Platform: Platform, Chat: openID, User: openID}}
	if m.MsgType == message.MsgTypeEvent {
		return normalizeEvent(out, m, welcome, isCommand)
	}
	if isDeviceMessage(m.MsgType) {
		return core.Message{}, false
	}
	switch m.MsgType {
	case message.MsgTypeText:
		out.Text = m.Content
	case message.MsgTypeVoice:
		out.Text = m.Recognition // 语音识别; no Note then, for the same reason as subscribe
		if m.Recognition == "" {
			out.Note = "[voice message]"
		}
	case message.MsgTypeImage:
		out.Note = "[image] " + m.PicURL
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		out.Note = "[video]"
	case message.MsgTypeLocation:
		out.Note = fmt.Sprintf("[location] %s (%g, %g)", m.Label, m.LocationX, m.LocationY)
	case message.MsgTypeLink:
		out.Note = fmt.Sprintf("[link] %s %s", m.Title, m.URL)
	default:
		out.Note = fmt.Sprintf("[%.32s message]", m.MsgType)
	}
	out.Note = strings.TrimSpace(out.Note)
	if m.MsgID != 0 {
		out.ID = strconv.FormatInt(m.MsgID, 10)
		out.DedupeKeys = []string{Platform + ":msg:" + out.ID}
	} else {
		// Not seen from WeChat; fall back to the event rule so that a retry
		// is still recognised.
		out.ID = fmt.Sprintf("m-%s-%d-%s", openID, m.CreateTime, m.MsgType)
		out.DedupeKeys = []string{fmt.Sprintf("%s:msg:%s:%d:%s", Platform, openID, m.CreateTime, m.MsgType)}
	}
	return out, true
}
