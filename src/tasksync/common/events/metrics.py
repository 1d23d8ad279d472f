from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

OUTBOX_BACKLOG = Gauge(
    "tasksync_outbox_backlog", "Committed events not yet relayed to the bus.", ["service"]
)
PUBLISH_LATENCY = Histogram(
    "tasksync_event_publish_latency_seconds",
    "From an event's occurrence to its relay to the bus.",
    ["service"],
    buckets=LATENCY_BUCKETS,
)
DELIVERY_LATENCY = Histogram(
    "tasksync_event_delivery_latency_seconds",
    "From an event's occurrence to the commit of its handler.",
    ["service", "type"],
    buckets=LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "tasksync_event_consumer_lag",
    "Entries in a stream not yet read by a group.",
    ["group", "stream"],
)
HANDLER_FAILURES = Counter(
    "tasksync_event_handler_failures_total", "Handler runs that raised.", ["service", "type"]
)
DEAD_LETTERS = Counter(
    "tasksync_event_dead_letters_total",
    "Events given up on after every attempt.",
    ["service", "type"],
)
