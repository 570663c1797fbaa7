"""The subscriptions service's use cases: managing subscriptions, recording deliveries of
consumed events, and the outcome of each attempt to send one."""
