"""The subscriptions service's rules, plain Python: which events a subscription receives, which
sink addresses it may name, when a failed delivery is tried again, and which delivery goes next."""
