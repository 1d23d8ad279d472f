"""The event backbone: transactional outbox, relay, bus transports, idempotent inbox.

A service announces a change with `publish(session, SomethingHappened(...))` inside its unit
of work; the event is written to its outbox in the same transaction and relayed after commit.
A consuming service declares `@handlers.on(SomethingHappened)` functions; each event is applied
in one transaction together with its inbox record, so a redelivery has no second effect.
"""
