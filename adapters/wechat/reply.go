package wechat

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/switchboard-gw/switchboard/core"
)

// answer writes the passive reply for offer o and reports how much of the
// offered reply it carried. The passive message holds the offered reply's
// first part; when the reply fits in one part, the push's following replies
// are joined to it (separated by a blank line) while the text stays within
// MaxTextBytes and up to the first reply with quick replies, whose numbered
// list must stay last. Those joined replies are marked delivered, so their
// own Send returns nil without sending.
func (a *Adapter) answer(ctx context.Context, w http.ResponseWriter, p push, o *offer, replies []core.Reply) passiveResult {
	text := o.parts[0]
	quick := o.reply.QuickReplies
	var joined []string
	if len(o.parts) == 1 && len(quick) == 0 {
		after := false
		for _, r := range replies {
			if !after {
				after = r.ID == o.reply.ID
				continue
			}
			t := renderText(r)
			if t == "" {
				continue
			}
			if len(text)+len(paragraph)+len(t) > MaxTextBytes {
				break
			}
			text += paragraph + t
			joined = append(joined, r.ID)
			if len(r.QuickReplies) > 0 {
				quick = r.QuickReplies
				break
			}
		}
	}
	body, err := a.passiveBody(p, text, time.Now())
	if err != nil {
		a.ack(w, p)
		return passiveResult{err: err}
	}
	a.passive.markDelivered(joined, time.Now())
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, err = w.Write(body)
	if err == nil {
		err = http.NewResponseController(w).Flush()
	}
	if err != nil {
		a.passive.unmarkDelivered(joined)
		return passiveResult{err: fmt.Errorf("wechat: write passive reply: %w", err)}
	}
	if len(quick) > 0 {
		a.rememberQuick(context.WithoutCancel(ctx), string(p.msg.FromUserName), quick)
	}
	a.log.DebugContext(ctx, "wechat: passive reply written", "reply", o.reply.ID, "joined", len(joined))
	return passiveResult{parts: 1}
}

// passiveBody renders the passive text reply to push p with the SDK's
// message.Text, and wraps it in the encrypted envelope (fresh random bytes,
// the request's timestamp and nonce, a new MsgSignature) when p was
// encrypted.
func (a *Adapter) passiveBody(p push, text string, now time.Time) ([]byte, error) {
	t := message.NewText(text)
	t.SetToUserName(p.msg.FromUserName)
	t.SetFromUserName(p.msg.ToUserName)
	t.SetCreateTime(now.Unix())
	t.SetMsgType(message.MsgTypeText)
	plain, err := xml.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("wechat: render passive reply: %w", err)
	}
	if !p.encrypted {
		return plain, nil
	}
	enc, err := a.crypto.encrypt(nil, plain)
	if err != nil {
		return nil, fmt.Errorf("wechat: encrypt passive reply: %w", err)
	}
	env := message.ResponseEncryptedXMLMsg{
		EncryptedMsg: enc,
		MsgSignature: a.crypto.sign(strconv.FormatInt(p.timestamp, 10), p.nonce, enc),
		Timestamp:    p.timestamp,
		Nonce:        p.nonce,
	}
	out, err := xml.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("wechat: render encrypted reply: %w", err)
	}
	return out, nil
}
