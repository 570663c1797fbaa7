"""The subscriptions service's HTTP endpoints; `APIS` is what the app registers."""

from services.subscriptions.api.deliveries import deliveries_api
from services.subscriptions.api.subscriptions import subscriptions_api

APIS = [subscriptions_api, deliveries_api]
