package core

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus collectors of the Engine and the Dispatcher. A
// nil *Metrics is valid and records nothing, so tests need not build one.
type Metrics struct {
	messagesIn   *prometheus.CounterVec
	messagesOut  *prometheus.CounterVec
	dedupeHits   *prometheus.CounterVec
	sendErrors   *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	fallbacks    *prometheus.CounterVec
	handoffs     *prometheus.CounterVec
	caseFailures *prometheus.CounterVec
	handle       *prometheus.HistogramVec
	sendDuration *prometheus.HistogramVec
	throttled    *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (use a
// prometheus.NewRegistry per process, not the global default, in tests).
// outboxDepth, if not nil, is called at scrape time for the outbox gauge.
func NewMetrics(reg prometheus.Registerer, outboxDepth func() float64) *Metrics {
	m := &Metrics{
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_in_total", Help: "Customer messages handled (duplicates excluded), by platform.",
		}, []string{"platform"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_out_total", Help: "Replies the platform accepted, by platform.",
		}, []string{"platform"}),
		dedupeHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_dedupe_hits_total", Help: "Redelivered messages recognised as duplicates, by platform.",
		}, []string{"platform"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_send_errors_total", Help: "Failed send attempts, by platform and kind (temporary, rate_limited, permanent).",
		}, []string{"platform", "kind"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_dead_letters_total", Help: "Replies moved to the dead-letter list, by platform.",
		}, []string{"platform"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_fallbacks_total", Help: "Messages the bot did not understand, by platform.",
		}, []string{"platform"}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_handoffs_total", Help: "Conversations handed to a human, by platform.",
		}, []string{"platform"}),
		caseFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_handoff_case_failures_total", Help: "Cases that could not be posted to the support desk (the customer was told nobody is available), by desk platform.",
		}, []string{"platform"}),
		handle: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_handle_seconds", Help: "Time to handle one inbound message, durable commit included.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"platform"}),
		sendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_send_seconds", Help: "Time of one send attempt to a platform.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"platform"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_throttled_total", Help: "Customer messages over their conversation's inbound limit, by platform.",
		}, []string{"platform"}),
	}
	reg.MustRegister(m.messagesIn, m.messagesOut, m.dedupeHits, m.sendErrors, m.deadLetters,
		m.fallbacks, m.handoffs, m.caseFailures, m.handle, m.sendDuration, m.throttled)
	if outboxDepth != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_outbox_depth", Help: "Replies waiting in the outbox.",
		}, outboxDepth))
	}
	return m
}

func (m *Metrics) observeHandle(platform string, d time.Duration) {
	if m != nil {
		m.handle.WithLabelValues(platform).Observe(d.Seconds())
	}
}

func (m *Metrics) incIn(platform string, d Decision) {
	if m == nil {
		return
	}
	m.messagesIn.WithLabelValues(platform).Inc()
	if d.Fallback {
		m.fallbacks.WithLabelValues(platform).Inc()
	}
	if d.Handoff {
		m.handoffs.WithLabelValues(platform).Inc()
	}
}

func (m *Metrics) incDedupe(platform string) {
	if m != nil {
		m.dedupeHits.WithLabelValues(platform).Inc()
	}
}

func (m *Metrics) incThrottled(platform string) {
	if m != nil {
		m.throttled.WithLabelValues(platform).Inc()
	}
}

func (m *Metrics) sent(platform string, d time.Duration) {
	if m != nil {
		m.messagesOut.WithLabelValues(platform).Inc()
		m.sendDuration.WithLabelValues(platform).Observe(d.Seconds())
	}
}

func (m *Metrics) sendError(platform, kind string, d time.Duration) {
	if m != nil {
		m.sendErrors.WithLabelValues(platform, kind).Inc()
		m.sendDuration.WithLabelValues(platform).Observe(d.Seconds())
	}
}

func (m *Metrics) deadLetter(platform string) {
	if m != nil {
		m.deadLetters.WithLabelValues(platform).Inc()
	}
}

func (m *Metrics) caseFailure(platform string) {
	if m != nil {
		m.caseFailures.WithLabelValues(platform).Inc()
	}
}
