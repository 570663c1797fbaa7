"""Convene's published event contract: one module per owning service declares its topics
and event types. `registry` holds the machinery."""
