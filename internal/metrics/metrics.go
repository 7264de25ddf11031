// Package metrics holds Portico's Prometheus metrics. One Metrics value is made by the
// composition root and handed to the parts that count things; /metrics serves its registry.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type Metrics struct {
	registry *prometheus.Registry

	Messages        *prometheus.CounterVec
	DeliveryLatency prometheus.Histogram
	SlowConsumers   prometheus.Counter
	BusGaps         prometheus.Counter
	DBTime          *prometheus.HistogramVec
	RequestTime     *prometheus.HistogramVec
	SocketSendTime  *prometheus.HistogramVec
}

func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_messages_total", Help: "Messages stored, by author type.",
		}, []string{"author"}),
		DeliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "portico_delivery_seconds",
			Help:    "Time from publishing a live event (after its commit) to queueing it on this node's connections.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		SlowConsumers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_slow_consumers_total", Help: "Connections dropped because they did not read fast enough.",
		}),
		BusGaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_bus_gaps_total",
			Help: "Times this node sent its clients to reconnect and catch up because live events between nodes were lost (NATS was unreachable, a subscription fell behind, or another node was cut off from NATS and its events of that time did not arrive).",
		}),
		DBTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portico_db_seconds",
			Help: "Database time per operation: read (a query), write (a transaction or statement); on SQLite also index (a chunk of " +
				"the search index, which writes wait for), checkpoint (copying the WAL into the database, writes go on) and " +
				"restart (a checkpoint that starts the WAL again and holds writes).",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"kind"}),
		RequestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portico_http_request_seconds",
			Help: "Time from a request's headers being read to its handler returning, by route (the pattern it matched) and " +
				"status code. WebSocket upgrades are not counted: their time is the connection's life.",
			// Finer between 5 and 25 ms, where the answers of a busy node fall.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .0075, .01, .015, .02, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "code"}),
		SocketSendTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portico_socket_send_seconds",
			Help: "Time from a `send` frame being read to its `sent` answer being queued, by author (visitor, operator) and " +
				"status code (as the REST answer would have it: 201 stored, 200 a repeat, 4xx refused, 5xx failed).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .0075, .01, .015, .02, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"author", "code"}),
	}
	r.MustRegister(m.Messages, m.DeliveryLatency, m.SlowConsumers, m.BusGaps, m.DBTime, m.RequestTime, m.SocketSendTime,
		collectors.NewGoCollector(), newSchedulerLatencies(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gauge adds a gauge whose value is read when /metrics is scraped.
func (m *Metrics) Gauge(name, help string, labels prometheus.Labels, value func() float64) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, value))
}

// DBPool adds the statistics of one of the store's connection pools (go_sql_*{db_name}): how
// often and how long work waited for a connection tells a busy database from a busy pool.
func (m *Metrics) DBPool(name string, db *sql.DB) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// ObserveDB records how long a database operation took.
func (m *Metrics) ObserveDB(kind string, start time.Time) {
	m.DBTime.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}

// ObserveRequest records how long the handler of one HTTP request took. route is the pattern it
// matched ("POST /api/v1/conversations/{id}/messages"), so that the series stay few.
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	m.RequestTime.WithLabelValues(route, statusLabel(status)).Observe(took.Seconds())
}

// ObserveSocketSend records how long a message sent over a live connection took to answer.
func (m *Metrics) ObserveSocketSend(author string, status int, took time.Duration) {
	m.SocketSendTime.WithLabelValues(author, statusLabel(status)).Observe(took.Seconds())
}

// statusLabel spells the common status codes without allocating.
func statusLabel(status int) string {
	switch status {
	case http.StatusOK:
		return "200"
	case http.StatusCreated:
		return "201"
	case http.StatusNoContent:
		return "204"
	}
	return strconv.Itoa(status)
}

func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
