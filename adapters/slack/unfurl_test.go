package slack

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/core"
)

// TestPostsDoNotUnfurl: a customer's link relayed to the support thread, or
// in an answer, is not unfurled by Slack (issue 14).
func TestPostsDoNotUnfurl(t *testing.T) {
	a, _, fake, _ := newUnit(t, nil)
	r := core.Reply{ID: "r1", Key: core.ConversationKey{Platform: "slack", Chat: "D1", User: "U1"},
		Text: "see http://169.254.169.254/latest/meta-data and https://evil.example/pixel.png"}
	if err := a.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	posts := fake.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts", len(posts))
	}
	if posts[0].UnfurlLinks != "false" || posts[0].UnfurlMedia != "false" {
		t.Fatalf("unfurl_links %q, unfurl_media %q; want both false", posts[0].UnfurlLinks, posts[0].UnfurlMedia)
	}
}
