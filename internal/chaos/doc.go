/*
Package chaos is Switchboard's crash and fault harness. It runs the real
`switchboard serve` binary as a subprocess, drives it like the platforms do
(signed webhooks, retried as each platform retries: Telegram until
acknowledged, Slack three times, WeChat three tries in 15 s with passive
replies, Discord interactions once and never again, Discord DMs over the
gateway, web chat POSTs with a client_id), kills it with SIGKILL at random
moments and through the failpoints of internal/failpoint, restarts it on
the same database file, and finally checks the delivery guarantees of the
README against what the fake platform APIs recorded and what the store
holds:

  - every message the gateway acknowledged was answered (lost = 0);
  - no message was handled twice: one user turn per message id in the
    transcript, one "messages" counter increment per message (inbound
    duplicates = 0);
  - a reply the fake platform received twice (an outbound duplicate) is
    allowed only across a process death, the documented window between the
    platform accepting a reply and its outbox entry being deleted; such
    duplicates are counted.

With Options.PowerLoss the database directory is on an
internal/powerfail filesystem, and every death is followed by a power cut:
what was written but not fsynced is lost (sometimes leaving a torn write),
and the bolt file must then open and pass bbolt's consistency check. That
proves an acknowledgement follows the commit's fsync, not only its write(2),
which SIGKILL alone cannot: the page cache survives a killed process.

Run does one whole campaign and returns a Report; the tests in this package
call it with 100 kills (SWITCHBOARD_CHAOS_KILLS overrides the number), and
`switchboard bench --chaos` can call it with its own binary. Gateway, Driver
and Verify are the parts, for tests of single faults (a paused process, a
full disk, a corrupt file, a snapshot of the file as a power cut would leave
it).

The harness is test support: it starts processes, binds loopback ports and
writes under the directory it is given. It is not used by serve.
*/
package chaos
