"""Sending webhooks: resolving and checking a sink's addresses, the validation handshake, signed
CloudEvents over HTTP, and the loop that sends what is due."""
