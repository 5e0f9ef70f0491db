// Package core holds Switchboard's domain: the normalized inbound Message, the
// outbound Reply, the ConversationKey and conversation State, the Engine that
// turns one inbound message into state changes and replies in one durable store
// transaction, and the outbox Dispatcher that delivers replies through each
// platform's Sender.
//
// core imports no adapter, no database and no platform SDK. It declares the
// interfaces it consumes (Store, Understander, Sender); packages under
// adapters/, intents and store/ implement them, and main wires them together.
//
// Delivery guarantees: inbound is exactly-once per dedupe key (a message is
// acknowledged to the platform only after Engine.Handle returned, i.e. after the
// transaction holding its dedupe keys, the new state and the outbox entries is
// durable; a redelivery finds the dedupe key and is not answered again).
// Outbound is at-least-once: an outbox entry is deleted only after the Sender
// returned nil, so a crash between the platform's acceptance and the delete
// resends that one reply.
package core
