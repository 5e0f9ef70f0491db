package sentiment

// The word lists. Valences were assigned for this package by hand, for the
// words customers use in support chats; they are not taken from a
// published lexicon.

// english maps lower-case words (apostrophes removed: "don't" → "dont") to
// their token.
var english = buildEnglish()

// chinese maps Chinese words to their token; maxZh is the longest key in
// runes.
var chinese, maxZh = buildChinese()

func buildEnglish() map[string]token {
	m := map[string]token{}
	for w, v := range map[string]float64{
		// positive
		"good": 2, "great": 3, "excellent": 3, "amazing": 3, "awesome": 3, "fantastic": 3, "wonderful": 3,
		"perfect": 3, "love": 3, "loved": 3, "like": 1.5, "liked": 1.5, "happy": 2.5, "glad": 2, "pleased": 2,
		"satisfied": 2, "thanks": 1.5, "thank": 1.5, "helpful": 2, "nice": 2, "fine": 1, "cool": 1.5,
		"best": 3, "fast": 1, "quick": 1, "easy": 1.5, "recommend": 2, "appreciate": 2, "appreciated": 2,
		"brilliant": 3, "impressed": 2.5, "smooth": 1.5, "resolved": 1.5, "lovely": 2.5, "superb": 3,
		"delighted": 3, "grateful": 2.5, "better": 1.5, "beautiful": 2.5, "friendly": 2, "polite": 1.5,
		"reliable": 2, "works": 1, "solved": 1.5, "fixed": 1.5, "kind": 1.5, "enjoy": 2, "enjoyed": 2,
		"super": 2, "wow": 1.5, "yay": 2, "outstanding": 3, "quality": 1, "ok": 0.5, "okay": 0.5,
		// Negative words come in three bands (see the package doc, "How
		// negative"): a factual complaint word names a problem for the
		// bot to route; a frustration word is the customer's mood; an
		// anger word is anger or an insult.
		//
		// complaint: -0.5 … -1.2
		"wrong": -0.8, "incorrect": -0.8, "broken": -1, "damaged": -1, "defective": -1, "faulty": -1,
		"late": -1, "delayed": -1, "slow": -1, "missing": -1, "lost": -1, "stolen": -1.2, "problem": -0.8,
		"problems": -0.8, "issue": -0.5, "fail": -1, "failed": -1, "failure": -1.2, "cancelled": -0.8,
		"refused": -1.2, "expensive": -0.8, "overpriced": -1.2, "confused": -0.8, "confusing": -1,
		"worried": -1.2, "complaint": -1.2, "complain": -1.2, "sorry": -0.5, "sick": -1, "tired": -1,
		// frustration: -1.5 … -2.5
		"bad": -2, "poor": -2, "annoyed": -2, "annoying": -2, "frustrated": -2.5, "frustrating": -2.5,
		"disappointed": -2.5, "disappointing": -2.5, "upset": -2.5, "unhappy": -2.5, "sad": -2,
		"worse": -2.5, "ignored": -2.5, "ignoring": -2.5, "mess": -2.5, "waste": -2.5, "joke": -2,
		"unfair": -2.5, "shocking": -2.5, "hell": -2, "fed": -1.5, "kidding": -2, "hopeless": -2.5,
		// anger: -3 … -3.5
		"terrible": -3.5, "awful": -3.5, "horrible": -3.5, "worst": -3.5, "hate": -3, "hated": -3,
		"angry": -3, "furious": -3.5, "mad": -3, "livid": -3.5, "pissed": -3, "useless": -3,
		"ridiculous": -3, "unacceptable": -3.5, "outrageous": -3.5, "scam": -3.5, "fraud": -3.5,
		"rude": -3, "incompetent": -3, "pathetic": -3, "disgusting": -3.5, "disgusted": -3.5,
		"shit": -3, "crap": -3, "sucks": -3, "sucked": -3, "sucky": -3, "garbage": -3, "rubbish": -3,
		"nightmare": -3, "disaster": -3, "lied": -3, "liar": -3, "liars": -3, "cheated": -3, "ripoff": -3,
		"appalling": -3.5, "dreadful": -3, "lousy": -3, "wtf": -3.5, "fuck": -3.5, "fucking": -3.5,
		"bullshit": -3.5, "idiot": -3.5, "idiots": -3.5, "stupid": -3,
	} {
		m[w] = token{kind: word, valence: v}
	}
	for _, w := range []string{"not", "no", "never", "neither", "nor", "none", "nobody", "nothing", "nowhere",
		"cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont", "wouldnt",
		"shouldnt", "couldnt", "hasnt", "havent", "hadnt", "aint", "without", "hardly", "barely", "lack"} {
		m[w] = token{kind: negator}
	}
	for _, w := range []string{"very", "really", "so", "extremely", "incredibly", "totally", "absolutely",
		"completely", "utterly", "too", "highly", "deeply", "most", "such", "truly", "seriously", "insanely",
		"especially", "particularly", "entirely", "damn", "freaking", "way", "more"} {
		m[w] = token{kind: intens}
	}
	for _, w := range []string{"slightly", "somewhat", "kinda", "bit", "little", "sorta", "fairly", "rather",
		"partly", "mildly", "marginally", "almost"} {
		m[w] = token{kind: dimin}
	}
	for _, w := range []string{"but", "however", "though", "although", "yet"} {
		m[w] = token{kind: contrast}
	}
	return m
}

func buildChinese() (map[string]token, int) {
	m := map[string]token{}
	for w, v := range map[string]float64{
		// positive
		"好": 1.5, "不错": 2, "满意": 2, "喜欢": 2, "开心": 2.5, "高兴": 2.5, "谢谢": 1.5, "感谢": 2, "多谢": 1.5,
		"棒": 2.5, "优秀": 3, "完美": 3, "快": 1, "方便": 1.5, "专业": 1.5, "耐心": 1.5, "贴心": 2, "给力": 2.5,
		"推荐": 2, "靠谱": 2, "赞": 2.5, "好评": 2.5, "舒服": 1.5, "漂亮": 2, "划算": 1.5, "及时": 1.5, "热情": 2,
		"感激": 2.5, "放心": 1.5, "顺利": 1.5, "好用": 2, "爱": 2.5, "出色": 3, "周到": 2, "满分": 3, "惊喜": 2.5,
		"解决了": 1.5, "可以": 0.5, "挺好": 2, "很好": 2,
		// neutral words that contain a scored character
		"好的": 0, "不好意思": 0, "好像": 0, "好不好": 0, "快递": 0, "问题吗": 0, "没问题": 1.5, "差不多": 0,
		"爱心": 0, "好几": 0, "好久": 0, "不客气": 1, "不用谢": 1, "快点": -0.5,
		"是不是": 0, // "是不是丢了" asks, it does not negate
		// complaint: -0.3 … -1.2
		"问题": -0.3, "错": -0.8, "错了": -0.8, "错误": -0.8, "填错": -0.8, "发错": -0.8, "坏": -1,
		"坏了": -1, "破": -0.8, "破损": -1, "慢": -1, "延迟": -1, "丢失": -1, "丢了": -1, "少了": -0.8,
		"少发": -0.8, "漏发": -0.8, "还没到": -1, "没到": -0.8, "还没收到": -1, "没收到": -1, "失败": -1,
		"退钱": -1.2, "着急": -1.2,
		// frustration: -1.5 … -2.5
		"差": -2.5, "失望": -2.5, "不满": -2.5, "不满意": -2.5, "难过": -2, "伤心": -2, "郁闷": -2,
		"烦": -2, "烦人": -2.5, "坑": -2.5, "不行": -2, "没用": -2.5, "后悔": -2.5, "无语": -2.5,
		"过分": -2.5, "敷衍": -2.5, "不靠谱": -2.5, "投诉": -2, "没人管": -1.5, "没人理": -2,
		// anger: -3 … -3.5
		"差劲": -3, "糟糕": -3, "烂": -3, "垃圾": -3.5, "生气": -2.5, "愤怒": -3.5, "气死": -3.5,
		"烦死": -3, "讨厌": -3, "恨": -3, "恶心": -3, "骗子": -3.5, "骗": -3, "离谱": -3, "崩溃": -3,
		"差评": -3, "可恶": -3, "混蛋": -3.5, "火大": -3, "恼火": -3, "气愤": -3, "受不了": -3,
		"忍无可忍": -3.5, "太过分": -3, "欺骗": -3.5, "骗人": -3, "态度差": -3, "糟透了": -3.5,
		"破烂": -3, "弱智": -3, "坑人": -3, "霸王条款": -3, "麻烦死了": -3, "什么破": -3, "坑爹": -3.5,
		"傻逼": -3.5, "妈的": -3.5, "有病": -3, "骗钱": -3.5, "黑心": -3.5,
	} {
		m[w] = token{kind: word, valence: v}
	}
	for _, w := range []string{"不", "没", "没有", "别", "未", "无", "毫不", "并不", "从不", "从来不", "绝不", "不是", "并非", "一点也不", "一点都不"} {
		m[w] = token{kind: negator}
	}
	for _, w := range []string{"非常", "很", "太", "特别", "十分", "极其", "极", "超", "超级", "真", "真的", "最",
		"相当", "实在", "简直", "挺", "巨", "更", "越来越", "极度", "格外", "如此", "这么", "那么", "好生"} {
		m[w] = token{kind: intens}
	}
	for _, w := range []string{"有点", "有些", "稍微", "略", "一点", "一些", "略微", "稍"} {
		m[w] = token{kind: dimin}
	}
	for _, w := range []string{"但是", "但", "不过", "可是", "然而"} {
		m[w] = token{kind: contrast}
	}
	longest := 0
	for w := range m {
		longest = max(longest, len([]rune(w)))
	}
	return m, longest
}
