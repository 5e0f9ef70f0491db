// Package bench is the load generator behind `switchboard bench`.
//
// Run starts fake Slack, Telegram, Discord and WeChat APIs (the ones in
// internal/fakes), starts a gateway in-process through the ServeFunc it is
// given (the command's serve, with a temporary store and 127.0.0.1:0) whose
// api_urls point at those fakes, and sends it signed webhooks, built and
// signed exactly as each platform does, plus web chat messages. Every
// simulated message comes from a new customer with its own chat (Telegram
// chat, Slack DM channel, Discord channel, WeChat openid); web chat messages
// rotate over a pool of sessions and are identified by their message ids.
// That makes the match between a message and the replies the fakes recorded
// exact:
//
//   - Telegram: the chat of sendMessage;
//   - Slack: the channel of chat.postMessage;
//   - Discord: the interaction of the follow-up, or the channel;
//   - WeChat: the passive reply in the webhook's HTTP response, or the
//     customer-service message to the openid;
//   - web: the reply id ("<message id>.r<n>") of the Server-Sent Events
//     stream, with the transcript (GET /api/web/messages) as a fallback.
//
// Like the platforms, the bench retries a webhook that was not acknowledged
// (non-2xx or timeout) a bounded number of times, with the platform's own
// timeout (Slack and Discord 3 s, WeChat 5 s); Discord does not retry.
//
// Outbound, the adapters cap their sends per platform (Telegram 30/s, Slack
// and Discord 50/s, as the platforms demand). Unless Options.Uncapped is
// set, the bench offers those platforms at most 80% of that, and gives the
// rest of the load to the web chat and WeChat, so that reply latencies
// measure the gateway and not a queue the platform's limit makes inevitable.
//
// After the load, Run waits until every acknowledged message is answered or
// no new reply has arrived for Options.Grace, then reports, per platform and
// in total: messages sent and acknowledged, msgs/s acknowledged, ack and
// reply latency percentiles, errors, lost (acknowledged, never answered) and
// duplicated (the same answer delivered twice). It also sends unsigned,
// wrongly signed, replayed and oversized requests to every platform during
// the run and checks that each is refused, and scans the gateway's whole log
// for every configured secret.
//
// The bench, the fakes and the gateway share one process and its CPUs: the
// figures are a lower bound of what the gateway alone would do.
package bench
