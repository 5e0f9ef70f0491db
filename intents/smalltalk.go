package intents

import "strings"

// SmallTalkPrefix starts the labels of the built-in small talk
// ("smalltalk:bot_identity") in decisions. Intent names cannot contain ':',
// so they never collide with the owner's intents.
const SmallTalkPrefix = "smalltalk:"

// Kinds of built-in small talk. Each is also the key of its reply in the
// top-level responses: mapping, and an owner's intent of the same name
// replaces the built-in one (examples and replies).
const (
	SmallTalkIdentity    = "bot_identity" // "are you a bot?"
	SmallTalkAcknowledge = "acknowledge"  // "ok", "got it", "好的"
	SmallTalkGreeting    = "greeting"
	SmallTalkGoodbye     = "goodbye"
	SmallTalkThanks      = "thanks"
	SmallTalkNeverMind   = "never_mind" // "never mind", "forget it", "算了" outside a flow
)

// smallTalkKinds are the kinds learnt by the classifier; never_mind is
// recognised by its exact phrases (see neverMindPhrases).
var smallTalkKinds = []string{SmallTalkIdentity, SmallTalkAcknowledge, SmallTalkGreeting, SmallTalkGoodbye, SmallTalkThanks}

// smallTalkExamples are the built-in training phrases of each kind.
var smallTalkExamples = map[string]map[string][]string{
	SmallTalkIdentity: {
		"en": {"are you a bot", "are you a robot", "am I talking to a bot", "is this a bot", "are you a real person",
			"are you human", "is this an automated chat", "am I chatting with a machine", "are you an AI",
			"is this a real person or a bot", "who am I talking to", "are you a chatbot", "is anyone real there",
			"are you a computer"},
		"zh": {"你是机器人吗", "你是真人吗", "我在和机器人聊天吗", "这是自动回复吗", "你是人工智能吗", "你是人还是机器",
			"是真人在回复吗", "你是AI吗", "我是在跟机器人说话吗", "你是客服机器人吗", "对面是真人吗", "你是谁"},
	},
	SmallTalkAcknowledge: {
		"en": {"ok", "okay", "ok cool", "alright", "got it", "I see", "understood", "sure", "fine", "cool",
			"ok great", "sounds good", "noted", "right", "ah ok", "makes sense", "k", "all right then"},
		"zh": {"好的", "好", "嗯", "嗯嗯", "知道了", "明白", "明白了", "收到", "行", "可以", "好吧", "了解",
			"懂了", "好滴", "哦哦", "原来如此"},
	},
	SmallTalkGreeting: {
		"en": {"hello", "hi", "hey", "hi there", "good morning", "good afternoon", "good evening", "hiya",
			"hello, anyone there?", "hey there", "greetings", "morning"},
		"zh": {"你好", "您好", "嗨", "哈喽", "早上好", "下午好", "晚上好", "在吗", "有人吗", "你好啊"},
	},
	SmallTalkGoodbye: {
		"en": {"bye", "goodbye", "see you", "see you later", "bye bye", "have a nice day", "talk later",
			"that's all", "I'm done", "that's everything", "cya", "good night"},
		"zh": {"再见", "拜拜", "回头见", "下次见", "就这样", "没别的了", "晚安", "先这样吧", "祝你愉快", "再会"},
	},
	SmallTalkThanks: {
		"en": {"thanks", "thank you", "thanks a lot", "many thanks", "thank you so much", "cheers", "thx",
			"ty", "much appreciated", "great, thanks", "thanks for your help", "appreciate it"},
		"zh": {"谢谢", "谢谢你", "多谢", "感谢", "非常感谢", "谢啦", "太感谢了", "辛苦了", "谢谢帮忙", "感谢您"},
	},
}

// neverMindPhrases outside a flow withdraw what the customer was asking:
// no fallback, a short reply. Inside a flow they cancel it (they are
// cancel words too).
var neverMindPhrases = []string{"never mind", "nevermind", "forget it", "forget about it", "no worries",
	"doesn't matter", "it doesn't matter", "not important", "算了", "算了吧", "不用了", "没事", "没事了", "不要紧", "没关系"}

// smallTalkReplies are the built-in replies; the owner's responses: keys of
// the same name replace them.
var smallTalkReplies = map[string]map[string]string{
	SmallTalkIdentity: {
		"en": "I'm a virtual assistant — a bot, not a person. I can answer most questions right away, and you can ask for a person at any time.",
		"zh": "我是智能客服机器人，不是真人。大部分问题我可以马上回答，需要人工客服时随时告诉我。",
	},
	SmallTalkAcknowledge: {"en": "Great. Is there anything else I can help with?", "zh": "好的。还有什么可以帮您的吗？"},
	SmallTalkGreeting:    {"en": "Hello! How can I help you today?", "zh": "您好！请问有什么可以帮您？"},
	SmallTalkGoodbye:     {"en": "Goodbye, and have a nice day!", "zh": "再见，祝您愉快！"},
	SmallTalkThanks:      {"en": "You're welcome!", "zh": "不客气！"},
	SmallTalkNeverMind:   {"en": "No problem. Is there anything else I can help with?", "zh": "好的，没问题。还有什么可以帮您的吗？"},
}

// smallTalkLabels adds the built-in small talk the bot does not define
// itself to the training examples through add, and its answers to u.
func (u *Understander) addSmallTalk(add func(label string, phrases map[string][]string)) {
	if u.bot.NoSmallTalk {
		return
	}
	own := map[string]bool{}
	for _, in := range u.bot.Intents {
		own[in.Name] = true
	}
	for _, kind := range smallTalkKinds {
		if own[kind] {
			continue
		}
		label := SmallTalkPrefix + kind
		u.answers[label] = answer{responses: u.smallTalkReply(kind)}
		add(label, smallTalkExamples[kind])
	}
	u.neverMind = map[string]bool{}
	for _, p := range neverMindPhrases {
		u.neverMind[normalizePhrase(p)] = true
	}
}

// smallTalkReply returns the owner's reply for a kind, else the built-in one.
func (u *Understander) smallTalkReply(kind string) Localized {
	if l := u.bot.Messages[kind]; len(l) > 0 {
		return l
	}
	return u.defaults[kind]
}

// isNeverMind reports whether text withdraws the customer's request.
func (u *Understander) isNeverMind(text string) bool {
	return u.neverMind[stripPolite(text)]
}

// isSmallTalk reports whether label is built-in small talk.
func isSmallTalk(label string) bool { return strings.HasPrefix(label, SmallTalkPrefix) }
