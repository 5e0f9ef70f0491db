package wechat

import (
	"fmt"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/switchboard-gw/switchboard/core"
)

// normalizeEvent decides what an event push (MsgType event) asks of the
// bot, on top of out (whose Key is set):
//
//   - subscribe (关注, with or without a qrscene_ EventKey) and SCAN (a
//     follower scanned a parametric QR code): the customer starts, like
//     Telegram's /start: Command "start", Text welcome (what the transcript
//     shows), answered with the bot's welcome.
//   - CLICK whose EventKey names a bot command (isCommand: an intent or FAQ
//     entry, e.g. a menu button "order_status"): that command.
//   - everything else (unsubscribe, VIEW, LOCATION, scancode_push,
//     scancode_waitmsg, pic_*, location_select, view_miniprogram,
//     kf_create_session, kf_close_session, kf_switch_session,
//     TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH, PUBLISHJOBFINISH,
//     subscribe_msg_popup_event, CLICK with another key, …): false, so the
//     push is acknowledged with "success" and nobody is answered.
func normalizeEvent(out core.Message, m message.MixMessage, welcome string, isCommand func(string) bool) (core.Message, bool) {
	openID := string(out.Key.User)
	switch m.Event {
	case message.EventSubscribe, message.EventScan:
		out.Command = "start"
		// No Note: the engine hands Text and Note together to the
		// Understander, and a note would skew its language.
		out.Text = welcome
	case message.EventClick:
		key := strings.TrimSpace(m.EventKey)
		if key == "" || isCommand == nil || !isCommand(key) {
			return core.Message{}, false
		}
		out.Command = strings.ToLower(key)
		out.Text = "/" + key
	default:
		return core.Message{}, false
	}
	out.ID = fmt.Sprintf("ev-%s-%d-%s", openID, m.CreateTime, m.Event)
	out.DedupeKeys = []string{fmt.Sprintf("%s:event:%s:%d:%s", Platform, openID, m.CreateTime, m.Event)}
	return out, true
}

// isDeviceMessage reports the message types of WeChat hardware (设备功能):
// they carry device data, not customer text.
func isDeviceMessage(t message.MsgType) bool {
	switch t {
	case "device_event", "device_text", "device_status":
		return true
	}
	return false
}
